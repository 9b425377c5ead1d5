"""The one adapter between channelopt and mixed-integer solvers (PuLP, HiGHS, CBC).

Only this module imports :mod:`pulp` and :mod:`highspy`; planning (the
portfolio MILP) and scheduling (the shift covering MILP) build their models
through :class:`Model` and :func:`lin`, or, for large models assembled as
sparse arrays (scheduling), through :func:`solve_arrays`. See :mod:`channelopt.solver._pulp` for
the rules every caller relies on (``lpSum`` expressions, a solve accepted only
when a solution exists).
"""

from __future__ import annotations

from ._arrays import ArraySolution, ColumnModel, quiet_highs, solve_arrays
from ._pulp import Model, SolveInfo, available_solvers, lin, pulp_version

__all__ = [
    "ArraySolution",
    "ColumnModel",
    "Model",
    "SolveInfo",
    "available_solvers",
    "lin",
    "pulp_version",
    "quiet_highs",
    "solve_arrays",
]
