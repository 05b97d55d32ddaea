"""Shared helpers: tiny hand-made ledger folders and a CLI runner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from povcli.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"

HOUSEHOLD_HEADER = ["household_id", "township", "village", "head_name", "head_id", "category",
                    "cause", "identified_on", "housing_grade"]
MEMBER_HEADER = ["person_id", "household_id", "name", "relation", "sex", "birth_date"]


def pid(n: int) -> str:
    """A resident-ID-shaped text for person n (the loader does not check digits)."""
    return f"22050319800101{n:04d}"


def household(hid: str, identified: str = "2014-06-01", township: str = "二道江乡",
              village: str = "样子沟村", head: int = 1, grade: str = "") -> list[str]:
    return [hid, township, village, f"户主{hid}", pid(head), "general", "illness", identified,
            grade]


def member(n: int, hid: str, relation: str = "head") -> list[str]:
    return [pid(n), hid, f"成员{n}", relation, "M", "1980-01-01"]


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


HEADERS = {"households": HOUSEHOLD_HEADER, "members": MEMBER_HEADER,
           "changes": ["date", "household_id", "person_id", "direction", "reason"],
           "exits": ["household_id", "exit_year", "verification", "verified_on",
                     "per_capita_income"],
           "subsidies": ["date", "household_id", "person_id", "program", "amount", "source",
                         "voucher"]}


def make_ledgers(folder: Path, households=(), members=(), changes=None, exits=None,
                 subsidies=None) -> Path:
    """A ledger folder from rows; None leaves a ledger out."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in _rows(households, members, changes, exits, subsidies).items():
        write_csv(folder / f"{name}.csv", HEADERS[name], rows)
    return folder


def ledger_frames(households=(), members=(), changes=None, exits=None, subsidies=None):
    """The ledgers make_ledgers writes, as DataFrames of text: no files."""
    import pandas as pd

    return {name: pd.DataFrame(rows, columns=HEADERS[name], dtype=object)
            for name, rows in _rows(households, members, changes, exits, subsidies).items()}


def _rows(households, members, changes, exits, subsidies) -> dict[str, list]:
    given = {"households": households, "members": members, "changes": changes,
             "exits": exits, "subsidies": subsidies}
    return {name: list(rows) for name, rows in given.items() if rows is not None}


class Run:
    def __init__(self):
        try:  # click before 8.2 mixes stderr into stdout unless told not to
            self.runner = CliRunner(mix_stderr=False)
        except TypeError:
            self.runner = CliRunner()

    def __call__(self, *args: str, env: dict | None = None, **kw):
        return self.runner.invoke(app, [str(a) for a in args], env=env or {}, **kw)

    def rows(self, *args: str, env: dict | None = None) -> list[dict]:
        """Run with --format csv and parse stdout back into dicts."""
        result = self(*args, "--format", "csv", env=env)
        assert result.exit_code == 0, result.stderr
        return list(csv.DictReader(io.StringIO(result.stdout)))

    def json(self, *args: str) -> list[dict]:
        result = self(*args, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def run() -> Run:
    return Run()


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch):
    """Every test has a cache folder of its own, never the user's."""
    monkeypatch.setenv("POVCLI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("POVCLI_NO_CACHE", raising=False)
