"""The channel-kind registry: what each kind of channel is, declared in one place.

One :class:`KindSpec` per :class:`ChannelKind` says which keys of a channel it
accepts and needs, which targets and initiative effects fit it, and the
traits the engines dispatch on (does it queue, do customers abandon, how
staffing sizes it, how its contacts flow in the traffic equations, which
simulation handler serves it). The loader's tables
(:mod:`channelopt.scenario.validate`) are generated from it, and no module
outside this one compares kind strings (``tests/test_scenario_kinds.py``
checks that): code asks ``kind_spec(kind).queues`` or
``Resolved.trait_mask("queues")`` instead of ``kind in ("live", "concurrent")``.

Adding a kind: docs/design.md, "How to add a channel kind".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "CHANNEL_KEYS",
    "KINDS",
    "ChannelKind",
    "FlowBehaviour",
    "KindSpec",
    "StaffingRule",
    "kind_spec",
]


class ChannelKind(StrEnum):
    """How a channel serves its contacts."""

    LIVE = "live"  #: voice-like: one agent per contact, customers wait and abandon
    CONCURRENT = "concurrent"  #: chat-like: an agent carries up to ``concurrency`` contacts
    DEFERRED = "deferred"  #: email-like: FIFO backlog, a deadline, no abandonment
    SELF_SERVICE = "self_service"  #: bot/IVR: no agents; contained or handed off


class StaffingRule(StrEnum):
    """How the staffing layer sizes a kind."""

    AGENTS = "agents"  #: Erlang C/A on agents (one contact per agent)
    SLOTS = "slots"  #: Erlang on slots = agents x concurrency
    BACKLOG = "backlog"  #: FIFO backlog that must meet a deadline
    NONE = "none"  #: no agents


class FlowBehaviour(StrEnum):
    """What happens to a contact after its visit, in the traffic equations."""

    SERVED = "served"  #: handed off, else resolved, else repeats ("What happens to a contact" 5)
    CONTAINED = "contained"  #: contained, else handed off, else gives up (step 2)


# --- the keys of a channel and why a kind may refuse them ----------------------------------

#: every key of a channel in the file, in the order of docs/scenario-format.md
CHANNEL_KEYS: tuple[str, ...] = (
    "kind",
    "volume",
    "arrivals",
    "profile",
    "aht",
    "aht_cv",
    "handle_time",
    "wrap_up",
    "patience",
    "patience_distribution",
    "target",
    "resolution",
    "forecast_error",
    "concurrency",
    "concurrency_stretch",
    "deadline",
    "containment",
    "open",
    "balking",
    "max_wait",
    "on_timeout",
    "lines",
    "queue_capacity",
    "at_close",
    "routing",
    "head_start",
)
_EVERY_KIND = ("kind", "volume", "arrivals", "profile", "forecast_error", "open")
_AGENT_KEYS = ("aht", "aht_cv", "handle_time", "wrap_up", "target", "resolution")
_ABANDON_KEYS = ("patience", "patience_distribution")
_QUEUE_KEYS = (
    "balking",
    "max_wait",
    "on_timeout",
    "lines",
    "queue_capacity",
    "at_close",
    "routing",
    "head_start",
)
_MULTI_KEYS = ("concurrency", "concurrency_stretch")

_ONLY_CONCURRENT = "only concurrent channels carry several contacts per agent"
_ONLY_DEFERRED = "only deferred channels have a deadline"
_ONLY_SELF = "only self-service channels contain contacts"
_QUEUE_ONLY = "only live and concurrent channels have a queue of waiting customers"
_NO_AGENTS = "self-service channels have no agents, so no handle time"

#: why a key does not fit a kind that lacks the trait it belongs to
_REASON: dict[str, str] = {
    **dict.fromkeys(_MULTI_KEYS, _ONLY_CONCURRENT),
    "deadline": _ONLY_DEFERRED,
    "containment": _ONLY_SELF,
}

_LIVE_TARGETS = ("service_level", "within", "max_wait", "max_abandonment", "max_occupancy")
_CHANNEL_EFFECTS = ("volume", "aht", "patience", "resolution")


@dataclass(frozen=True)
class KindSpec:
    """Everything that is particular to one channel kind.

    Attributes
    ----------
    kind : ChannelKind
    description : str
        One line for documentation and messages.
    fields : frozenset of str
        Channel keys the kind accepts (:data:`CHANNEL_KEYS` minus the others).
    required : tuple of str
        Channel keys it needs.
    reasons : mapping of str to str
        For every key it refuses, why (shown in the loader's message).
    targets : tuple of str
        ``target`` keys that fit (empty: no targets).
    required_target : str or None
        A target key it always needs (deferred: ``within_deadline``).
    effects : tuple of str
        Channel multipliers an initiative effect may apply to it.
    staffed : bool
        Agents serve it (it sits in a pool's skills).
    queues : bool
        Arriving contacts wait in a queue served in real time (lines, queue
        capacity, balking, timeouts, routing, at_close apply).
    abandons : bool
        Customers have patience and abandon.
    multi_contact : bool
        An agent carries several contacts at once (``concurrency``).
    has_deadline : bool
        Work is measured against ``deadline``.
    contains : bool
        Contacts are contained without agents (``containment``).
    staffing : StaffingRule
        How the staffing layer sizes it.
    flow : FlowBehaviour
        How its contacts continue in the traffic equations.
    sim_code : int
        Stable integer the simulation dispatches on (its handler).
    """

    kind: ChannelKind
    description: str
    fields: frozenset[str]
    required: tuple[str, ...]
    reasons: Mapping[str, str]
    targets: tuple[str, ...]
    required_target: str | None
    effects: tuple[str, ...]
    staffed: bool
    queues: bool
    abandons: bool
    multi_contact: bool
    has_deadline: bool
    contains: bool
    staffing: StaffingRule
    flow: FlowBehaviour
    sim_code: int

    @property
    def refused(self) -> tuple[str, ...]:
        """Channel keys this kind does not accept, in file order."""
        return tuple(k for k in CHANNEL_KEYS if k not in self.fields)


def _make(
    kind: ChannelKind,
    description: str,
    *,
    staffed: bool,
    queues: bool,
    abandons: bool,
    multi_contact: bool = False,
    has_deadline: bool = False,
    contains: bool = False,
    required: tuple[str, ...],
    targets: tuple[str, ...] = (),
    required_target: str | None = None,
    effects: tuple[str, ...],
    staffing: StaffingRule,
    flow: FlowBehaviour,
    sim_code: int,
    reasons: Mapping[str, str] = MappingProxyType({}),
) -> KindSpec:
    """A spec whose accepted keys follow from its traits (so they cannot disagree)."""
    keys = set(_EVERY_KIND)
    if staffed:
        keys |= set(_AGENT_KEYS)
    if abandons:
        keys |= set(_ABANDON_KEYS)
    if queues:
        keys |= set(_QUEUE_KEYS)
    if multi_contact:
        keys |= set(_MULTI_KEYS)
    if has_deadline:
        keys.add("deadline")
    if contains:
        keys.add("containment")
    refused = [k for k in CHANNEL_KEYS if k not in keys]
    why = {
        k: reasons.get(k) or _REASON.get(k) or f"{kind.value} channels do not use it"
        for k in refused
    }
    return KindSpec(
        kind=kind,
        description=description,
        fields=frozenset(keys),
        required=required,
        reasons=MappingProxyType(why),
        targets=targets,
        required_target=required_target,
        effects=effects,
        staffed=staffed,
        queues=queues,
        abandons=abandons,
        multi_contact=multi_contact,
        has_deadline=has_deadline,
        contains=contains,
        staffing=staffing,
        flow=flow,
        sim_code=sim_code,
    )


_DEFERRED_QUEUE = _QUEUE_ONLY + " (deferred work waits in a backlog)"
_SELF_QUEUE = _QUEUE_ONLY + " (self-service contacts do not queue)"

#: the registry: one entry per kind (the order is the order of ``ChannelKind``)
KINDS: Mapping[ChannelKind, KindSpec] = MappingProxyType(
    {
        ChannelKind.LIVE: _make(
            ChannelKind.LIVE,
            "voice-like: one agent per contact; customers wait and abandon",
            staffed=True,
            queues=True,
            abandons=True,
            required=("aht",),
            targets=_LIVE_TARGETS,
            effects=_CHANNEL_EFFECTS,
            staffing=StaffingRule.AGENTS,
            flow=FlowBehaviour.SERVED,
            sim_code=0,
        ),
        ChannelKind.CONCURRENT: _make(
            ChannelKind.CONCURRENT,
            "chat-like: an agent carries up to `concurrency` contacts at once",
            staffed=True,
            queues=True,
            abandons=True,
            multi_contact=True,
            required=("aht", "concurrency"),
            targets=_LIVE_TARGETS,
            effects=_CHANNEL_EFFECTS,
            staffing=StaffingRule.SLOTS,
            flow=FlowBehaviour.SERVED,
            sim_code=1,
        ),
        ChannelKind.DEFERRED: _make(
            ChannelKind.DEFERRED,
            "email-like: a FIFO backlog with a deadline; nobody abandons",
            staffed=True,
            queues=False,
            abandons=False,
            has_deadline=True,
            required=("aht", "deadline"),
            targets=("within_deadline", "max_occupancy"),
            required_target="within_deadline",
            effects=("volume", "aht", "resolution"),
            staffing=StaffingRule.BACKLOG,
            flow=FlowBehaviour.SERVED,
            sim_code=2,
            reasons={
                "patience": "deferred contacts wait in a backlog and never abandon",
                "patience_distribution": "deferred contacts wait in a backlog and never abandon",
                **dict.fromkeys(_QUEUE_KEYS, _DEFERRED_QUEUE),
            },
        ),
        ChannelKind.SELF_SERVICE: _make(
            ChannelKind.SELF_SERVICE,
            "bot/IVR: no agents; contacts are contained or handed off",
            staffed=False,
            queues=False,
            abandons=False,
            contains=True,
            required=("containment",),
            effects=("volume", "containment"),
            staffing=StaffingRule.NONE,
            flow=FlowBehaviour.CONTAINED,
            sim_code=3,
            reasons={
                "aht": _NO_AGENTS,
                "aht_cv": _NO_AGENTS,
                "handle_time": _NO_AGENTS,
                "wrap_up": "self-service channels have no agents, so no after-contact work",
                "patience": "self-service contacts do not queue",
                "patience_distribution": "self-service contacts do not queue",
                "target": "self-service channels have no agents to staff to a target",
                "resolution": "a self-service contact is resolved when contained (use containment)",
                **dict.fromkeys(_QUEUE_KEYS, _SELF_QUEUE),
            },
        ),
    }
)


def kind_spec(kind: ChannelKind | str) -> KindSpec:
    """The registry entry of ``kind`` (a :class:`ChannelKind` or its string).

    Raises
    ------
    KeyError
        ``kind`` is not a known kind (the message lists the known ones).
    """
    try:
        return KINDS[ChannelKind(kind)]
    except ValueError:
        raise KeyError(
            f"unknown channel kind {kind!r}; known: {', '.join(k.value for k in ChannelKind)}"
        ) from None
