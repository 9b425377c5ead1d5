"""What-if analysis: sweeps over scenario changes, plan comparison, and the executors."""

from __future__ import annotations

from .executors import CaseStatus, Outcome, RunResult, run_tasks

__all__ = ["CaseStatus", "Outcome", "RunResult", "run_tasks"]
