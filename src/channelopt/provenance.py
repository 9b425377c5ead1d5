"""The version and the one provenance record every result carries (base layer: stdlib only).

Every result of channelopt (staffing, simulation, evaluation, sweeps and comparisons)
says where its numbers come from with the same keys, so a table written by one
engine can be joined with another's: :data:`PROVENANCE_KEYS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

__all__ = ["PROVENANCE_KEYS", "VERSION", "Provenance"]

try:
    VERSION: str = version("channelopt")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0+unknown"

#: the keys of :meth:`Provenance.as_dict`, in order (extra run settings follow them)
PROVENANCE_KEYS = ("scenario", "content_hash", "channelopt_version", "seed", "method")


@dataclass(frozen=True)
class Provenance:
    """Where a result comes from.

    Parameters
    ----------
    scenario : str
        The scenario's ``name``.
    content_hash : str
        The scenario's content hash (``Scenario.content_hash``).
    seed : int or None
        The root seed of the random streams, ``None`` for analytic results.
    method : str or None
        The engine or method that produced the numbers (``"erlang"``,
        ``"pooled"``, ``"simulation"``, ``"evaluate"``, ...).
    channelopt_version : str
        The installed channelopt version (defaults to :data:`VERSION`).
    extra : dict
        Further run settings (replications, days, period, ...), appended
        after the standard keys.
    """

    scenario: str
    content_hash: str
    seed: int | None = None
    method: str | None = None
    channelopt_version: str = VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict with the keys of :data:`PROVENANCE_KEYS` first."""
        out: dict[str, Any] = {
            "scenario": self.scenario,
            "content_hash": self.content_hash,
            "channelopt_version": self.channelopt_version,
            "seed": self.seed,
            "method": self.method,
        }
        out.update({k: v for k, v in self.extra.items() if k not in out})
        return out
