"""The reader as a package: one job a module, imports pointing down in the order its
__init__ lists them, and nothing above the reader imported by it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import povcli.read

PACKAGE = Path(povcli.read.__file__).parent


def _order() -> list[str]:
    doc = ast.get_docstring(ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8")))
    return re.findall(r"^- (\w+) ", doc or "", re.M)


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(modules of the package, modules of povcli outside it) that path imports."""
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                inside.add(node.module.split(".")[0])
            else:
                inside.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 2:
            outside.update([node.module.split(".")[0]] if node.module
                           else [a.name for a in node.names])
    return inside, outside


def test_every_module_is_listed_once_in_the_packages_order():
    order = _order()
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert sorted(order) == modules and len(set(order)) == len(order)


def test_imports_point_down_the_listed_order():
    order = _order()
    for name in order:
        inside, outside = _imports(PACKAGE / f"{name}.py")
        above = {m for m in inside if order.index(m) >= order.index(name)}
        assert not above, f"{name} imports {above}, listed after it"
        # the reader stands on the contract, the messages and findings (and the cache)
        assert outside <= {"schema", "messages", "findings", "cache"}, (name, outside)


def test_the_old_single_module_is_gone():
    assert not (PACKAGE.parent / "ledgers.py").exists()
