"""What-if analysis: sweeps over scenario changes, plan comparison, and the executors.

:func:`sweep` runs one engine on many changed scenarios; :func:`compare` puts
plans side by side; :mod:`channelopt.whatif.executors` is the one place that
runs cases serially, on local processes or on Dask.
"""

from __future__ import annotations

from .changes import case_seed, describe_changes, expand_changes
from .compare import Comparison, compare
from .executors import CaseStatus, Outcome, RunResult, run_tasks
from .sweep import EvaluateMode, sweep

__all__ = [
    "CaseStatus",
    "Comparison",
    "EvaluateMode",
    "Outcome",
    "RunResult",
    "case_seed",
    "compare",
    "describe_changes",
    "expand_changes",
    "run_tasks",
    "sweep",
]
