"""Presentation: tidy tables, matplotlib figures and the self-contained HTML report.

``report`` writes one HTML file; the figure functions return
:class:`matplotlib.figure.Figure` objects (drawn without pyplot). Names load
lazily so that the command line can use the light helpers (atomic writes,
number formatting) without importing matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "report": "_report",
    "business_case_figure": "figures",
    "comparison_figure": "figures",
    "journey_flows_figure": "figures",
    "pareto_figure": "figures",
    "plan_timeline_figure": "figures",
    "service_level_figure": "figures",
    "staffing_figure": "figures",
    "channel_colors": "figures",
}

__all__ = [
    "business_case_figure",
    "channel_colors",
    "comparison_figure",
    "journey_flows_figure",
    "pareto_figure",
    "plan_timeline_figure",
    "report",
    "service_level_figure",
    "staffing_figure",
]

if TYPE_CHECKING:  # pragma: no cover
    from ._report import report
    from .figures import (
        business_case_figure,
        channel_colors,
        comparison_figure,
        journey_flows_figure,
        pareto_figure,
        plan_timeline_figure,
        service_level_figure,
        staffing_figure,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'channelopt.reporting' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
