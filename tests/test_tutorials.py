"""The tutorials in docs/tutorials/ run as written.

Every fenced ```python block of a tutorial is executed, in order, in one
namespace per tutorial, in a temporary directory holding a copy of the bundled
``scenarios/``, ``benchmarks/`` and ``pyproject.toml`` (the reader runs them
from the repository root). Blocks check what they claim with ``assert``; a
tutorial that stops working fails here.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "docs" / "tutorials"
NAMES = ["planner-what-if.md", "committee-comparison.md", "benchmarks-in-ci.md"]

_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def python_blocks(text: str) -> list[str]:
    """The code of every ```python block, in order."""
    return [m.group(1) for m in _BLOCK.finditer(text)]


def test_block_extraction() -> None:
    text = "intro\n```python\nx = 1\n```\n```text\nout\n```\n```python\ny = x + 1\n```\n"
    assert python_blocks(text) == ["x = 1\n", "y = x + 1\n"]


def test_every_tutorial_is_listed() -> None:
    assert sorted(p.name for p in TUTORIALS.glob("*.md")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_tutorial_runs(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    path = TUTORIALS / name
    blocks = python_blocks(path.read_text())
    assert blocks, f"{name} has no ```python blocks"
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    ignore = shutil.ignore_patterns("__pycache__", ".benchmarks")
    shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NUMBA_NUM_THREADS", os.environ.get("NUMBA_NUM_THREADS", "1"))
    namespace: dict[str, object] = {"__name__": "__tutorial__"}
    for i, code in enumerate(blocks, start=1):
        try:
            exec(compile(code, f"{name}[block {i}]", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{name}, python block {i} failed:\n{code}") from exc
