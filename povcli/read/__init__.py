"""Reading a ledger folder into typed DataFrames, with every problem as a Finding.

The reading rules of the contract live in this package and only here: finding the
files, detecting the encoding, matching headers, parsing dates, amounts, years and
enumerations, and checking keys and references. Everything downstream gets clean,
typed frames whose index is the record's position in its file.

One job a module, imports pointing down (each imports only those listed before it):

- limits     what povcli reads at most (a cell, an amount, a workbook; title rows)
- arrowkit   generic Arrow helpers: arrow, factorize, index_in, is_in
- decode     bytes to text: the encodings, and where bytes are undecodable
- files      finding the ledgers of a folder or workbook (Source), refusing non-files
- cells      one cell's text to its value (dates, years, amounts, counts, codes)
- records    delimited text split into records and lines
- table      a table's shape whatever its format: the header, totals and blank rows
- loaded     LoadedLedger (one ledger read) and LedgerSet (a folder's ledgers)
- columns    typing a ledger's text columns by the schema, bad cells as findings
- delimited  reading a CSV/TSV ledger (Arrow first, the csv module where it refuses)
- stream     a CSV ledger read in batches of records, for sets larger than memory
- excel      reading a workbook sheet (calamine), with its size guards
- integrity  unique keys and references between ledgers, lost leading zeros
- frames     a ledger set built in memory from DataFrames, typed and checked alike
- load       read_ledger, read_ledgers, open_ledgers (with the cache)

Import from the module that holds a name; this file re-exports nothing, so
`import povcli.read` stays light.
"""
