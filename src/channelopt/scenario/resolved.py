"""The plain-array view of one period of a scenario that every engine uses.

:meth:`channelopt.Scenario.resolve` applies growth and the effects of the
initiatives in force exactly once and returns a :class:`Resolved`. The engines
(staffing, simulation, planning) never read the pydantic models field by field;
they read these arrays. Channel order is the order of ``channels`` in the file;
pool order is the order of ``pools`` (or of the staffed channels for the
dedicated pools created when ``pools`` is omitted).

All times are seconds. Absent optional values are ``nan`` (targets) or ``inf``
(patience, deadline), never ``None``, so that Numba kernels can take them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

__all__ = ["ChannelKind", "Resolved"]


class ChannelKind(StrEnum):
    """How a channel serves its contacts."""

    LIVE = "live"  #: voice-like: one agent per contact, customers wait and abandon
    CONCURRENT = "concurrent"  #: chat-like: an agent carries up to ``concurrency`` contacts
    DEFERRED = "deferred"  #: email-like: FIFO backlog, a deadline, no abandonment
    SELF_SERVICE = "self_service"  #: bot/IVR: no agents; contained or handed off


@dataclass(frozen=True, eq=False)
class Resolved:
    """One period of a scenario as plain arrays (read-only).

    Shapes: ``C`` channels, ``I`` intervals per day, ``P`` pools.

    Attributes
    ----------
    name : str
        Scenario name.
    content_hash : str
        SHA-256 (hex, first 16 chars) of the canonical scenario content.
    period : int
        The period resolved (0-based).
    channels : tuple of str
        Channel names, length C.
    kinds : tuple of ChannelKind
        Kind per channel.
    interval_s : float
        Interval length in seconds.
    arrivals : ndarray, shape (I, C)
        **External** arrivals (contacts per interval) on a day of this period:
        base volume x growth x volume effects, after shifts, zero outside the
        channel's opening hours. Hand-offs, repeats and retrials are not included.
    open_mask : ndarray of bool, shape (I, C)
        Whether the channel is open in each interval (an interval is open when
        it overlaps the opening hours).
    aht : ndarray, shape (C,)
        Mean handle time in seconds (for concurrent channels: the chat duration
        at full ``concurrency``). ``0`` for self-service channels.
    aht_cv : ndarray, shape (C,)
        Coefficient of variation of handle time (simulation only).
    patience : ndarray, shape (C,)
        Mean (exponential) patience in seconds; ``inf`` = infinitely patient.
    resolution : ndarray, shape (C,)
        P(resolved) for a contact served and not handed off.
    containment : ndarray, shape (C,)
        P(contained) for self-service channels; 0 for others.
    concurrency : ndarray of int, shape (C,)
        Contacts an agent carries at once (1 except for concurrent channels).
    concurrency_stretch : ndarray, shape (C,)
        Stretch ``s``: a chat lasts ``(1 + s (k-1)) / (1 + s (concurrency-1))``
        x aht while its agent carries ``k`` chats.
    deadline : ndarray, shape (C,)
        Deadline in seconds for deferred channels; ``inf`` for others.
    forecast_error : ndarray, shape (C,)
        Coefficient of variation of daily volume.
    target_service_level, target_within : ndarray, shape (C,)
        Service-level target (fraction) and its threshold in seconds; nan if absent.
    target_max_wait : ndarray, shape (C,)
        Bound on average wait of answered contacts (s); nan if absent.
    target_max_abandonment, target_max_occupancy : ndarray, shape (C,)
        Fractions; nan if absent.
    target_within_deadline : ndarray, shape (C,)
        Deferred channels: fraction to be completed within ``deadline``; nan if absent.
    handoff : ndarray, shape (C, C)
        ``handoff[i, j]``: probability that a contact finishing service in
        channel i (for self-service: not contained) is handed off to channel j.
        Rows sum to at most 1.
    repeat_to : ndarray, shape (C, C)
        ``repeat_to[i, j]``: probability that an unresolved contact of channel i
        comes back in channel j. Rows sum to at most 1; the rest ends unresolved.
    repeat_delay : float
        Mean (exponential) delay of a repeat in seconds.
    retrial_probability : float
        P(an abandoned contact retries in the same channel).
    retrial_delay : float
        Mean (exponential) retrial delay in seconds.
    pools : tuple of str
        Pool names, length P.
    pool_skills : tuple of tuple of int
        Channel indices each pool serves, in routing-priority order.
    pool_agents : ndarray, shape (P,)
        Today's roster (agents on duty in every open interval); nan when unknown.
    pool_max_agents : ndarray, shape (P,)
        Headcount cap in agents on duty; inf when absent.
    pool_cost_per_hour : ndarray, shape (P,)
        Cost of one paid FTE hour.
    pool_shrinkage : ndarray, shape (P,)
        Fraction of paid time not available for contacts.
    pool_hires_per_period : ndarray, shape (P,)
        Hiring cap in FTE per period; inf when absent.
    pool_attrition : ndarray, shape (P,)
        Fraction of FTE lost per period.
    effort_wait_minute, effort_handoff, effort_repeat, effort_abandoned : float
        Customer-effort points per minute waited, hand-off, repeat, abandonment.
    value_per_point : float
        Money per effort point.
    fractions : dict of str to float
        Initiative -> fraction of its effect in force in this period (only > 0).
    caps : tuple of str
        Human-readable notes of probabilities capped at 1 by effects.
    """

    name: str
    content_hash: str
    period: int
    channels: tuple[str, ...]
    kinds: tuple[ChannelKind, ...]
    interval_s: float
    arrivals: np.ndarray
    open_mask: np.ndarray
    aht: np.ndarray
    aht_cv: np.ndarray
    patience: np.ndarray
    resolution: np.ndarray
    containment: np.ndarray
    concurrency: np.ndarray
    concurrency_stretch: np.ndarray
    deadline: np.ndarray
    forecast_error: np.ndarray
    target_service_level: np.ndarray
    target_within: np.ndarray
    target_max_wait: np.ndarray
    target_max_abandonment: np.ndarray
    target_max_occupancy: np.ndarray
    target_within_deadline: np.ndarray
    handoff: np.ndarray
    repeat_to: np.ndarray
    repeat_delay: float
    retrial_probability: float
    retrial_delay: float
    pools: tuple[str, ...]
    pool_skills: tuple[tuple[int, ...], ...]
    pool_agents: np.ndarray
    pool_max_agents: np.ndarray
    pool_cost_per_hour: np.ndarray
    pool_shrinkage: np.ndarray
    pool_hires_per_period: np.ndarray
    pool_attrition: np.ndarray
    effort_wait_minute: float = 0.0
    effort_handoff: float = 0.0
    effort_repeat: float = 0.0
    effort_abandoned: float = 0.0
    value_per_point: float = 0.0
    fractions: dict[str, float] = field(default_factory=dict)
    caps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Engines share this object; freeze the arrays so nobody edits it in place.
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def n_intervals(self) -> int:
        """Intervals per day (I)."""
        return int(self.arrivals.shape[0])

    @property
    def n_channels(self) -> int:
        """Number of channels (C)."""
        return len(self.channels)

    def channel_index(self, name: str) -> int:
        """Index of channel ``name`` (raises ``KeyError`` with the known names)."""
        try:
            return self.channels.index(name)
        except ValueError:
            raise KeyError(f"unknown channel {name!r}; known: {', '.join(self.channels)}") from None

    def staffed(self) -> np.ndarray:
        """Boolean mask of channels served by agents (all but self-service)."""
        return np.array([k is not ChannelKind.SELF_SERVICE for k in self.kinds], dtype=bool)

    def pool_of_channel(self) -> np.ndarray:
        """For each channel, the index of the first pool that serves it (-1 if none)."""
        out = np.full(self.n_channels, -1, dtype=np.int64)
        for p, skills in enumerate(self.pool_skills):
            for c in skills:
                if out[c] < 0:
                    out[c] = p
        return out
