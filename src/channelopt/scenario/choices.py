"""The string choices of a scenario file, as ``StrEnum`` s with stable integer codes.

Each enum's members are the words a file may use; ``member.code`` is its
0-based position in the enum, stable across versions (new members are only
appended), so that engines written in Numba or plain arrays can dispatch on
integers. :class:`channelopt.scenario.Resolved` carries both.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AgentSelection",
    "AtClose",
    "ClosedHours",
    "DelayDistribution",
    "DistributionFamily",
    "OnTimeout",
    "SkillSelection",
]


#: (enum class, value) -> code; keyed by class because members of different enums
#: compare equal as strings ("lost")
_CODES: dict[tuple[type, str], int] = {}


class _Coded(StrEnum):
    @property
    def code(self) -> int:
        """Stable integer code: position in the enum (0-based)."""
        key = (type(self), self._value_)
        code = _CODES.get(key)
        if code is None:
            code = _CODES[key] = list(type(self)).index(self)
        return code


class DistributionFamily(_Coded):
    """Shape of a handle-time or patience distribution (the mean is ``aht``/``patience``)."""

    EXPONENTIAL = "exponential"  #: cv 1 (the default)
    LOGNORMAL = "lognormal"  #: needs ``cv``
    GAMMA = "gamma"  #: needs ``cv``
    UNIFORM = "uniform"  #: needs ``min`` and ``max``
    CONSTANT = "constant"  #: always the mean
    TRIANGULAR = "triangular"  #: needs ``min``, ``mode`` and ``max``
    EMPIRICAL = "empirical"  #: draws from ``samples`` (scaled to the mean)


class OnTimeout(_Coded):
    """What happens to a contact whose wait the system ends at ``max_wait``."""

    LOST = "lost"  #: it ends unresolved (default)
    RETRY = "retry"  #: it retries like an abandoned contact (``journeys.retrials``)
    TO = "to"  #: it moves to another channel (file: ``on_timeout: {to: email}``)


class AtClose(_Coded):
    """What happens to contacts still waiting when a channel closes."""

    SERVE = "serve"  #: they are served after closing (default)
    CLEAR = "clear"  #: they are disconnected


class SkillSelection(_Coded):
    """Which waiting contact a freed agent of a pool takes."""

    PRIORITY = "priority"  #: first skill in the pool's order with a waiting contact (default)
    LONGEST_WAITING = "longest_waiting"  #: the contact that has waited longest, any skill


class AgentSelection(_Coded):
    """Which free agent of a pool takes an arriving contact."""

    LONGEST_IDLE = "longest_idle"  #: the agent idle longest (default)
    RANDOM = "random"  #: a free agent drawn at random


class DelayDistribution(_Coded):
    """Shape of the delay of a repeat or a retrial (the mean is ``delay``)."""

    EXPONENTIAL = "exponential"  #: default
    CONSTANT = "constant"  #: always exactly ``delay``


class ClosedHours(_Coded):
    """What happens to hand-offs, repeats and retrials that reach a closed channel."""

    SPREAD = "spread"  #: over the channel's next open day by its intraday profile (default)
    NEXT_OPEN = "next_open"  #: all at the next opening
    LOST = "lost"  #: they end unresolved
