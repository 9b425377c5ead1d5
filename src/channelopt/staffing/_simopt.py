"""``method="simulation"``: staffing confirmed by the simulation (not finished)."""

from __future__ import annotations

from typing import Any

from ..scenario.resolved import Resolved
from ._result import StaffingResult


def staff_simulation(resolved: Resolved, staff_resolved: Any, **options: Any) -> StaffingResult:
    """Not implemented yet: see docs/staffing.md ("Simulation-based staffing")."""
    raise NotImplementedError(
        "staff(..., method='simulation') is not implemented yet: the sample-average "
        "approximation with cuts from simulated service-level differences (Cezik and "
        "L'Ecuyer 2008) is missing; use method='pooled' or 'erlang'"
    )
