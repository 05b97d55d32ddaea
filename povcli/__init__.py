"""povcli: figures from poverty-alleviation ledgers (建档立卡台账).

Layers, imports pointing down only:
schema/ledgers (reading, validation) -> model (counting rules) -> reports (tables)
-> render (formats) -> cli (Typer).
"""

__version__ = "0.2.0"
