"""The ``channelopt`` command line (typer; rich tables and progress bars).

Commands: ``validate``, ``staff``, ``simulate``, ``optimize``, ``evaluate``,
``compare``, ``sweep``, ``report`` and ``run`` (the main job). Exit codes:
0 success, 2 bad input (invalid scenario or plan, bad option, missing file),
1 any other failure, 130 interrupted (Ctrl-C). User errors print their
message without a traceback; ``--debug`` shows it.

Engines are imported inside the commands, so ``channelopt validate`` loads
neither Numba, SimPy nor PuLP. See ``docs/cli.md``.
"""

from __future__ import annotations

# Importing the command modules registers their commands, in this order in --help.
from . import _validate  # noqa: F401  # isort: skip
from . import _analysis, _planning, _run, _sweep  # noqa: F401  # isort: skip
from . import _data  # noqa: F401  # isort: skip
from . import _schedule  # noqa: F401  # isort: skip
from ._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``channelopt`` console script."""
    app()
