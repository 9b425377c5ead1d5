"""Staffing: traffic equations and per-interval requirements for every channel kind.

:func:`staff` turns one period of a scenario into agents per interval and
channel, with the service level, wait, abandonment and occupancy those agents
reach, FTE and cost; :func:`flows` solves the traffic equations alone. Every
column, approximation and decision is documented in ``docs/staffing.md``.
"""

from __future__ import annotations

# The per-interval measures staffing reports, re-exported for the layers above that may
# not import the kernels directly (DESIGN.md: `data` imports staffing, not queueing).
from ..queueing import abandonment, service_level
from ._agreement import AGREEMENT_COLUMNS, model_agreement
from ._core import MAX_ITERATIONS, METHODS, flows, staff, staff_resolved
from ._deferred import DeferredKpis, deferred_kpis, staff_deferred
from ._flows import carry_matrix, delay_kernel, delay_weights
from ._result import INTERVAL_COLUMNS, POOL_COLUMNS, SUMMARY_COLUMNS, StaffingResult

__all__ = [
    "AGREEMENT_COLUMNS",
    "INTERVAL_COLUMNS",
    "MAX_ITERATIONS",
    "METHODS",
    "POOL_COLUMNS",
    "SUMMARY_COLUMNS",
    "DeferredKpis",
    "StaffingResult",
    "abandonment",
    "carry_matrix",
    "deferred_kpis",
    "delay_kernel",
    "delay_weights",
    "flows",
    "model_agreement",
    "service_level",
    "staff",
    "staff_deferred",
    "staff_resolved",
]
