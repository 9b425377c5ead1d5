"""Imports flow one way: no module of channelopt imports a module of a higher layer.

The table below is DESIGN.md "Architecture", the "may import" column exactly: a
module imports only the channelopt modules listed for it (and third-party
packages allowed for it); in particular never one listed after it. Every
``import`` statement counts, also inside functions (lazy imports) and
``importlib.import_module("channelopt....")`` with a literal name;
only imports under ``if TYPE_CHECKING:`` (never executed) are exempt, and
``channelopt/__init__.py`` (the lazy top-level API) is exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "channelopt"

#: the base layer (stdlib only): every module above it may import these
BASE = frozenset({"units", "errors", "provenance", "parallel", "_display", "_lazy"})
#: DESIGN.md "Architecture", the "may import" column, exactly: module -> the channelopt
#: modules it may import (besides itself). The base layer is importable from every layer
#: above it; the kernels import nothing of channelopt (numpy and numba only).
ALLOWED: dict[str, frozenset[str]] = {
    "units": BASE,
    "errors": BASE,
    "provenance": BASE,
    "parallel": BASE,  # the one local process pool (simulation and whatif use it)
    "_display": BASE,  # reprs of results and the progress signature (stdlib; pandas lazily)
    "_lazy": BASE,  # result tables built on first read (stdlib)
    "queueing": frozenset(),
    "solver": BASE,
    "scenario": BASE,
    "simulation": BASE | {"scenario", "queueing"},
    "staffing": BASE | {"simulation", "queueing", "scenario"},
    "scheduling": BASE | {"staffing", "solver", "scenario"},
    "data": BASE | {"staffing", "simulation", "scenario"},
    "planning": BASE | {"scheduling", "staffing", "simulation", "solver", "scenario"},
    # orchestration: the analysis modules and what they stand on
    "whatif": BASE
    | {
        "queueing",
        "solver",
        "scenario",
        "simulation",
        "staffing",
        "scheduling",
        "data",
        "planning",
    },
}
# presentation: everything above (reporting below cli)
ALLOWED["reporting"] = frozenset(ALLOWED) - {"reporting"}
ALLOWED["cli"] = frozenset(ALLOWED) - {"cli"}
#: third-party packages only one module may import
EXCLUSIVE = {
    "simpy": {"simulation"},
    "pulp": {"solver"},
    "highspy": {"solver"},
    "pydantic": {"scenario"},
    "yaml": {"scenario"},
}
#: the kernels import only numpy and numba (and the standard library)
KERNEL_THIRD_PARTY = {"numpy", "numba"}
THIRD_PARTY = {
    "numpy", "numba", "scipy", "simpy", "pulp", "highspy", "pandas", "pydantic", "yaml",
    "matplotlib", "typer", "rich", "dask", "distributed", "pyarrow", "pyworkforce",
}  # fmt: skip


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source`` outside TYPE_CHECKING blocks."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    out: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((node.lineno, target))
            if not node.module:  # `from .. import staffing`
                out.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.startswith("channelopt")
        ):
            out.append((node.lineno, node.args[0].value))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Layer violations of one module's source (``module`` like ``channelopt.staffing.flows``)."""
    own = module.split(".")[1]
    out = []
    for line, target in imported_modules(source, module, is_package):
        parts = target.split(".")
        if parts[0] == "channelopt" and len(parts) > 1 and parts[1] != own:
            if parts[1] not in ALLOWED.get(own, frozenset()):
                out.append(f"{module}:{line} imports {target} ({own} may not import {parts[1]})")
        elif parts[0] in EXCLUSIVE and own not in EXCLUSIVE[parts[0]]:
            out.append(f"{module}:{line} imports {parts[0]}, reserved for {EXCLUSIVE[parts[0]]}")
        elif own == "queueing" and parts[0] in THIRD_PARTY - KERNEL_THIRD_PARTY:
            out.append(f"{module}:{line}: the kernels import only numpy and numba, not {parts[0]}")
    return out


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name == "channelopt.__init__":
            continue
        out.append((name, path))
    return out


def test_table_covers_every_module():
    tops = {name.split(".")[1] for name, _ in modules()}
    assert tops <= set(ALLOWED), f"modules missing from the layer table: {tops - set(ALLOWED)}"


@pytest.mark.parametrize(("name", "path"), modules(), ids=[n for n, _ in modules()])
def test_module_imports_no_higher_layer(name, path):
    is_package = path.name == "__init__.py"
    module = name.removesuffix(".__init__")
    assert violations(path.read_text(encoding="utf-8"), module, is_package) == []


def test_checker_catches_lazy_relative_and_exclusive_imports():
    src = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from channelopt.planning import Plan\n"  # exempt
        "def f():\n    from ..planning import optimize\n"  # lazy + relative: counts
        "import simpy\n"
        "from .. import whatif\n"
        "import importlib\n"
        "importlib.import_module('channelopt.reporting')\n"
        "from ..queueing import erlang_c\n"  # lower layer: fine
    )
    found = violations(src, "channelopt.staffing.flows")
    assert len(found) == 4, found
    assert "channelopt.planning" in found[0] and ":5 " in found[0]
    assert "simpy" in found[1] and "channelopt.whatif" in found[2]
    assert "channelopt.reporting" in found[3]
    assert violations("import scipy\n", "channelopt.queueing.erlang") != []
    assert violations("import scipy\n", "channelopt.staffing") == []


def test_checker_encodes_the_may_import_column():
    # round 1's linear rank allowed these; DESIGN.md's table does not
    assert violations("from ..staffing import staff\n", "channelopt.simulation.engine") != []
    assert violations("from ..simulation import simulate\n", "channelopt.staffing.core") == []
    assert violations("from ..queueing import erlang_c\n", "channelopt.planning.model") != []
    assert violations("import pulp\n", "channelopt.planning.model") != []
    assert violations("import pulp\n", "channelopt.solver") == []
    assert violations("from ..planning import Plan\n", "channelopt.data.calibrate") != []
    assert violations("from ..errors import DataError\n", "channelopt.queueing.x") != []
