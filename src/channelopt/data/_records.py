"""The canonical contact-record table and its quality log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CANONICAL", "OUTCOMES", "ContactRecords", "QualityLog"]

#: canonical columns, in order (DESIGN.md "Contact records"); times are tz-aware
#: timestamps, durations are seconds (float)
CANONICAL: tuple[str, ...] = (
    "contact_id",
    "customer_id",
    "channel",
    "arrival",
    "queue_start",
    "queue_end",
    "outcome",
    "service_start",
    "service_end",
    "handle_time",
    "agent",
    "transferred_to",
)
#: extra columns the readers fill where the source has them
EXTRA: tuple[str, ...] = ("wait", "self_service_time", "priority")
#: outcomes of a contact attempt
OUTCOMES: tuple[str, ...] = (
    "answered",  # served by an agent
    "abandoned",  # left the queue before service
    "blocked",  # refused by the system (all lines busy, queue full)
    "contained",  # ended in self-service (IVR/VRU, bot) without reaching the queue
    "timed_out",  # the system ended the wait
)
TIME_COLUMNS = ("arrival", "queue_start", "queue_end", "service_start", "service_end")


@dataclass
class QualityLog:
    """Rows dropped, corrected or flagged, per rule (never silent).

    Each rule has an ``action``: ``dropped`` (row removed), ``corrected`` (a value
    changed, the row kept) or ``flagged`` (kept unchanged, excluded from the
    estimators named in the description).
    """

    rules: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(
        self,
        rule: str,
        action: str,
        description: str,
        count: int,
        examples: Iterable[str] = (),
    ) -> None:
        """Add ``count`` rows to ``rule`` (examples: up to 5 ``file:line`` strings kept)."""
        if count <= 0:
            return
        entry = self.rules.setdefault(
            rule, {"action": action, "description": description, "rows": 0, "examples": []}
        )
        entry["rows"] += int(count)
        ex = entry["examples"]
        for e in examples:
            if len(ex) >= 5:
                break
            ex.append(str(e))

    def merge(self, other: QualityLog) -> None:
        """Add the counts of ``other`` into this log."""
        for rule, e in other.rules.items():
            self.add(rule, e["action"], e["description"], e["rows"], e["examples"])

    def table(self) -> pd.DataFrame:
        """One row per rule: rule, action, rows, description, examples."""
        rows = [
            {
                "rule": rule,
                "action": e["action"],
                "rows": e["rows"],
                "description": e["description"],
                "examples": "; ".join(e["examples"]),
            }
            for rule, e in self.rules.items()
        ]
        cols = ["rule", "action", "rows", "description", "examples"]
        return pd.DataFrame(rows, columns=cols)


class ContactRecords:
    """Contact records in canonical columns, with the quality log of their reading.

    Build with :func:`channelopt.read_contacts`. ``frame`` has one row per contact
    attempt with the columns of ``CANONICAL`` (plus ``wait``, ``self_service_time``
    and ``priority`` where the source has them): times are time-zone-aware
    timestamps, ``handle_time`` and ``wait`` are seconds.

    Attributes
    ----------
    frame : pandas.DataFrame
        The records.
    quality : pandas.DataFrame
        Rows dropped, corrected or flagged per rule, with counts and examples.
    source : str
        Where the records came from.
    head_start : dict of int to float
        ``priority`` value -> head start (s) that class gets in the queue, where the
        source documents one (the Anonymous Bank: ``{2: 90.0}``); ``calibrate``
        splits those classes into channels of their own.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        quality: QualityLog | None = None,
        source: str = "<DataFrame>",
        tz: str = "UTC",
        head_start: dict[int, float] | None = None,
    ) -> None:
        self.frame = frame.reset_index(drop=True)
        self._log = quality if quality is not None else QualityLog()
        self.source = source
        self.tz = tz
        self.head_start: dict[int, float] = dict(head_start or {})

    # -- views -----------------------------------------------------------------------------

    @property
    def quality(self) -> pd.DataFrame:
        """Rows dropped, corrected or flagged per rule, with counts and examples."""
        return self._log.table()

    @property
    def quality_log(self) -> QualityLog:
        """The mutable log behind :attr:`quality`."""
        return self._log

    @property
    def channels(self) -> list[str]:
        """Channel (contact type) names, by volume, largest first."""
        return list(self.frame["channel"].value_counts().index.astype(str))

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        f = self.frame
        if len(f) == 0:
            return f"ContactRecords(0 records, source={self.source!r})"
        first, last = f["arrival"].min(), f["arrival"].max()
        return (
            f"ContactRecords({len(f):,} records, {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
            f"channels={self.channels[:8]}, dropped={self.dropped:,})"
        )

    def _repr_html_(self) -> str:  # pragma: no cover - notebook only
        import html

        return f"<p>{html.escape(repr(self))}</p>" + self.quality.to_html(escape=True)

    @property
    def dropped(self) -> int:
        """Rows dropped while reading (sum over the ``dropped`` rules)."""
        return sum(e["rows"] for e in self._log.rules.values() if e["action"] == "dropped")

    # -- selections ------------------------------------------------------------------------

    def _subset(self, mask: Any) -> ContactRecords:
        return ContactRecords(
            self.frame.loc[np.asarray(mask, dtype=bool)],
            self._log,
            self.source,
            self.tz,
            self.head_start,
        )

    def between(self, start: Any, end: Any) -> ContactRecords:
        """Records arriving in ``[start, end)`` (dates or timestamps, local time of the records)."""
        arr = self.frame["arrival"]
        lo = _as_local(start, self.tz)
        hi = _as_local(end, self.tz)
        return self._subset((arr >= lo) & (arr < hi))

    def on_weekdays(self, days: Sequence[str]) -> ContactRecords:
        """Records arriving on the given weekdays (``"mon"``..``"sun"``), local time."""
        names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        want = {names.index(d[:3].lower()) for d in days}
        return self._subset(self.frame["arrival"].dt.day_of_week.isin(want))

    def select(self, mask: Any) -> ContactRecords:
        """Records where the boolean ``mask`` (aligned with :attr:`frame`) is true."""
        return self._subset(mask)

    def arrival_counts(self, interval: float = 1800.0, by_channel: bool = True) -> pd.DataFrame:
        """Arrivals per day and interval of the day (columns date, interval, channel, contacts).

        ``interval`` in seconds; every day between the first and last arrival appears,
        with zero counts where nothing arrived.
        """
        f = self.frame
        local = f["arrival"]
        date = local.dt.tz_localize(None).dt.normalize()
        secs = (local.dt.tz_localize(None) - date).dt.total_seconds()
        slot = (secs // interval).astype(int)
        keys = [date.rename("date"), slot.rename("interval")]
        if by_channel:
            keys.append(f["channel"].astype(str).rename("channel"))
        out = f.groupby(keys, observed=True).size().rename("contacts").reset_index()
        return out


def _as_local(value: Any, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    return ts
