"""The bundled sample ledgers are what the generator writes, and travel in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from conftest import ROOT, SAMPLE


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample_data.py"), "--out",
                    str(tmp_path)], check=True, capture_output=True)
    fresh = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in SAMPLE.iterdir()}
    assert fresh.keys() == committed.keys()
    for name in fresh:
        assert fresh[name] == committed[name], name


def test_sample_ledgers_work_from_a_non_editable_install(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(wheels)], check=True,
                   capture_output=True)
    (wheel,) = wheels.glob("povcli-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "povcli/sample_data/households.csv" in names
    assert "povcli/sample_data/帮扶资金发放台账.csv" in names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(site), str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("POVCLI_DATA", None)
    out = subprocess.run([sys.executable, "-m", "povcli", "summary", "--format", "csv"],
                         cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "people,404" in out.stdout
    assert str(site / "povcli" / "sample_data") in out.stderr
