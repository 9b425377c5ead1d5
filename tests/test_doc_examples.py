"""Every example in README.md and docs/*.md runs as written, in every ``make test``.

Per page, in a temporary directory holding a copy of ``scenarios/`` (the
reader runs the examples from the repository root, with the environment
activated, so ``channelopt`` is on PATH):

* each ```python block runs, in order, in one namespace per page; blocks of
  ``>>>`` lines are doctests and their printed output is compared with the
  page (the outputs a page shows are checked);
* each line of a ```sh block must exit 0 (a trailing ``\\`` continues a
  command on the next line). ``channelopt ...`` lines run the command line
  in this process (typer's runner: the same code as the console script,
  without a new interpreter loading NumPy, Numba and pandas for every line;
  ``tests/test_cli.py`` and getting-started's ``.venv/bin/channelopt`` line
  run the real console script); any other line runs in a shell.

A block is skipped only when the line before its fence says why:
``<!-- not run: <reason> -->`` (call signatures, a reference list of
functions with placeholder arguments, commands that need a Dask scheduler or
your own contact records). Lines starting with ``make`` or ``git clone`` and
``pip install`` lines are not run either: the test suite itself runs inside
what they build.

Every page runs by default. To keep ``make test`` well inside its budget,
an engine call that a page repeats from an earlier page with the same
arguments (``simulate``, ``optimize``, ``pareto``, ``schedule``,
``compare``: the same scenario content, plans, settings and seed; the
executor and progress callback aside, which by design do not change the
numbers) returns the earlier call's result (``_memo`` below). Each distinct
call runs once, for real; the README and docs/cli.md both run the main job,
and the second run reuses the first one's engine results and writes its own
report and tables.
"""

from __future__ import annotations

import doctest
import functools
import glob
import hashlib
import importlib
import inspect
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[ \t]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
_SKIP = re.compile(r"<!--\s*not run:\s*(?P<why>[^>]*?)\s*-->\s*$")
_NOT_RUN_LINE = re.compile(r"^\s*(make\b|git clone\b|pip install\b|\.\s+\.venv/bin/activate)")


def blocks(text: str) -> list[tuple[str, str, str | None]]:
    """``(language, code, skip_reason)`` of every fenced block, in order."""
    out = []
    for m in _FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _SKIP.search(before)
        out.append((m.group("lang"), m.group("body"), skip.group("why") if skip else None))
    return out


def shell_commands(code: str) -> list[str]:
    """Commands of a sh block: continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\s*\\\n\s*", " ", code)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or _NOT_RUN_LINE.match(line):
            continue
        out.append(line)
    return out


def test_block_parsing() -> None:
    text = (
        "x\n```sh\nchannelopt a \\\n    --b 1  # c\nmake demo\n# note\n```\n"
        "<!-- not run: a signature -->\n```python\nf(a, b) -> int\n```\n"
        "```python\n>>> 1 + 1\n2\n```\n"
    )
    found = blocks(text)
    assert [(lang, why) for lang, _, why in found] == [
        ("sh", None),
        ("python", "a signature"),
        ("python", None),
    ]
    assert shell_commands(found[0][1]) == ["channelopt a --b 1  # c"]


#: (module, function) of the engine calls a page may repeat from an earlier page
MEMO_TARGETS = (
    ("channelopt.simulation", "simulate"),
    ("channelopt.planning", "optimize"),
    ("channelopt.planning", "pareto"),
    ("channelopt.scheduling", "schedule"),
    ("channelopt.whatif", "compare"),
)
#: arguments that do not change the numbers (executors give identical results)
MEMO_IGNORED = frozenset({"progress", "executor", "max_workers", "chunk_size"})
_MEMO: dict[tuple[str, str], object] = {}


def _fingerprint(value: object) -> str:
    """A text that is equal for equal engine inputs (scenario content, plans, tables)."""
    import pandas as pd

    if hasattr(value, "content_hash") and hasattr(value, "resolve"):  # a Scenario
        return f"scenario:{value.content_hash}"
    if isinstance(value, pd.DataFrame):
        cells = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        return f"frame:{list(value.columns)}:{hashlib.sha256(cells).hexdigest()}"
    if hasattr(value, "intervals") and hasattr(value, "scenario_hash"):  # a StaffingResult
        return (
            f"staffing:{value.scenario_hash}:{value.period}:{value.method}:"
            f"{_fingerprint(value.pools)}:{_fingerprint(value.intervals[['agents']])}"
        )
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_fingerprint(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_fingerprint(v) for v in value) + "]"
    return repr(value)  # numbers, strings, None, Plan (its starts, agents and name)


def _memo(name: str, fn: Callable[..., object]) -> Callable[..., object]:
    """``fn`` returning the result of an earlier call with the same arguments."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = (
            name,
            _fingerprint({k: v for k, v in bound.arguments.items() if k not in MEMO_IGNORED}),
        )
        if key not in _MEMO:
            _MEMO[key] = fn(*args, **kwargs)
        return _MEMO[key]

    return wrapper


@pytest.fixture
def repeated_calls_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install :func:`_memo` on the engine calls of ``MEMO_TARGETS`` for one page."""
    import channelopt

    for module_name, attr in MEMO_TARGETS:
        module = importlib.import_module(module_name)
        # channelopt's names are lazy: reading one imports it from the module and keeps
        # it. Read it before the module is patched, or monkeypatch would record the
        # wrapper as the value to restore and leave it in place for later tests
        # (test_api's progress test then got a cached optimize and no progress calls).
        getattr(channelopt, attr, None)
        wrapped = _memo(f"{module_name}.{attr}", getattr(module, attr))
        monkeypatch.setattr(module, attr, wrapped)
        monkeypatch.setattr(channelopt, attr, wrapped, raising=False)


def test_memo_reuses_only_equal_calls() -> None:
    calls: list[tuple[object, ...]] = []

    def engine(scenario: object, plan: object = None, *, seed: int = 0, progress: object = None):
        calls.append((scenario, plan, seed))
        return len(calls)

    memo = _memo("test.engine", engine)
    import pandas as pd

    a, b = pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [1, 3]})
    assert memo(a, seed=1) == 1
    assert memo(a.copy(), seed=1, progress=print) == 1  # equal content, a callback aside
    assert memo(a, None, seed=1) == 1  # the same call, spelt with the default
    assert memo(b, seed=1) == 2  # another table
    assert memo(a, seed=2) == 3  # another seed
    assert len(calls) == 3


def _run_in_process(args: list[str], cwd: Path) -> tuple[int, str]:
    """``channelopt ARGS`` through typer's runner; shell globs expanded as a shell would."""
    from typer.testing import CliRunner

    from channelopt.cli import app

    expanded: list[str] = []
    for arg in args:
        matches = sorted(glob.glob(arg, root_dir=cwd)) if any(c in arg for c in "*?[") else []
        expanded += matches or [arg]
    result = CliRunner().invoke(app, expanded)
    output = (result.stdout or "")[-2000:] + (result.stderr or "")[-2000:]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\n{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, output


def test_globs_expand_like_a_shell(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("x")
    (tmp_path / "a.yaml").write_text("x")
    assert sorted(glob.glob("*.yaml", root_dir=tmp_path)) == ["a.yaml", "b.yaml"]
    code, output = _run_in_process(["--version"], tmp_path)
    assert code == 0 and output.startswith("channelopt ")


def _page_id(path: Path) -> str:
    return path.name


def _params() -> list[object]:
    """Every page with a runnable block (all run in ``make test``)."""
    return [
        p
        for p in PAGES
        if any(
            lang == "python" or (lang == "sh" and shell_commands(code))
            for lang, code, skip in blocks(p.read_text())
            if skip is None
        )
    ]


@pytest.mark.parametrize("page", _params(), ids=_page_id)
@pytest.mark.usefixtures("repeated_calls_reused")
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("NUMBA_NUM_THREADS", "1")
    namespace: dict[str, object] = {"__name__": "__doc_example__"}
    ran = 0
    for i, (lang, code, skip) in enumerate(blocks(page.read_text()), start=1):
        if skip is not None or lang not in ("python", "sh"):
            continue
        where = f"{page.name}, block {i}"
        if lang == "sh":
            for command in shell_commands(code):
                argv = shlex.split(command, comments=True)
                if argv and argv[0] == "channelopt":
                    code_, output = _run_in_process(argv[1:], tmp_path)
                else:
                    # the page's .venv/bin/ is this environment's
                    command = command.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
                    done = subprocess.run(
                        command, shell=True, capture_output=True, text=True, env=env, cwd=tmp_path
                    )
                    code_, output = done.returncode, done.stdout[-2000:] + done.stderr[-2000:]
                assert code_ == 0, f"{where}: `{command}` exited {code_}\n{output}"
                ran += 1
        elif code.lstrip().startswith(">>>"):
            test = doctest.DocTestParser().get_doctest(code, namespace, where, str(page), 0)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
            runner.run(test, out=lambda s: print(s, end=""))
            assert runner.failures == 0, f"{where}: the printed output differs from the page"
            ran += 1
        else:
            try:
                exec(compile(code, where, "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"{where} failed:\n{code}") from exc
            ran += 1
    assert ran, f"{page.name}: no example ran"
