"""Plans: which initiatives start when, and optionally agents per pool and period.

A plan file (docs/scenario-format.md, "Plan files") is YAML with three keys::

    name: bot first              # optional label
    starts: {crm: 0, chatbot: 1} # initiative -> 0-based start period; omitted = not started
    agents:                      # optional; omitted = staff every channel to its targets
      generalists: [120, 130, 140, 140]   # agents on duty per period
      email_team: 25                      # one number = the same in every period

:class:`channelopt.planning` re-exports :class:`Plan`.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Problem, ScenarioError
from ._yaml import dump_yaml, load_yaml, read_text_limited

if TYPE_CHECKING:
    from .models import Scenario

__all__ = ["Plan", "load_plan"]

_KEYS = ("name", "starts", "agents")


def _is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


#: Most agents a plan may put on duty in one pool and period (the scenario's
#: plausible range for agents, docs/limits.md).
MAX_PLAN_AGENTS = 10_000_000


def _agent_number(x: Any) -> float | str:
    """The number of agents ``x`` as a float, or what is wrong with it.

    **Decision:** agents on duty are whole agents. A fractional number (``62.5``)
    is refused with the field named rather than rounded silently: the plan
    author chooses 62 or 63 (half-agents are not an average the evaluation
    would honour, since the staffing layer works with whole agents).
    """
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        return f"expected a whole number of agents >= 0, got {type(x).__name__} {x!r}"[:120]
    if isinstance(x, int) and abs(x) > MAX_PLAN_AGENTS:  # no float() of a 400-digit int
        digits = int(abs(x).bit_length() * 0.30103) + 1
        return (
            f"expected at most {MAX_PLAN_AGENTS:,} agents, got an integer of about {digits} digits"
        )
    v = float(x)
    if not math.isfinite(v) or v < 0:
        return f"expected a whole number of agents >= 0, got {x!r}"
    if v > MAX_PLAN_AGENTS:
        return f"expected at most {MAX_PLAN_AGENTS:,} agents, got {x!r}"
    if not v.is_integer():
        return (
            f"expected a whole number of agents, got {x!r} (agents on duty are whole agents; "
            f"write {math.floor(v)} or {math.ceil(v)})"
        )
    return v


def _shown(value: Any) -> Any:
    """A value for a Problem: huge integers shortened (their str() may even fail)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return "an integer of over 30 digits"
    return value


class Plan:
    """An initiative schedule, optionally with agents per pool and period (frozen).

    Parameters
    ----------
    starts : mapping of str to int, optional
        Initiative -> 0-based start period. Initiatives not listed (or ``None``)
        are not started.
    agents : mapping of str to (number or list of numbers), optional
        Agents on duty per pool: one number for every period or one per period.
        ``None`` means "staff every channel to its targets".
    name : str
        A label for tables and reports.

    Raises
    ------
    ScenarioError
        When a start is not a whole number >= 0 or agents are not numbers >= 0.

    Examples
    --------
    >>> plan = Plan(starts={"crm": 0, "chatbot": 1}, name="bot first")
    >>> Plan.from_yaml(plan.to_yaml()) == plan
    True
    """

    __slots__ = ("_agents", "_name", "_optimization", "_starts")
    # Declared for type checkers only (no values, so no clash with __slots__).
    _agents: Mapping[str, float | tuple[float, ...]] | None
    _name: str
    _optimization: Any
    _starts: Mapping[str, int]

    def __init__(
        self,
        starts: Mapping[str, int | None] | None = None,
        agents: Mapping[str, Any] | None = None,
        name: str = "",
    ) -> None:
        problems: list[Problem] = []
        clean_starts: dict[str, int] = {}
        if starts is not None and not isinstance(starts, Mapping):
            problems.append(
                Problem("starts", "expected a mapping initiative -> start period", starts)
            )
            starts = {}
        for key, value in (starts or {}).items():
            if not isinstance(key, str):
                problems.append(Problem(f"starts.{key}", "expected an initiative name", key))
            elif value is None:
                continue
            elif not _is_int(value) or value < 0:
                problems.append(
                    Problem(
                        f"starts.{key}",
                        f"expected a start period >= 0 (0-based), got {value!r}",
                        value,
                    )
                )
            else:
                clean_starts[key] = int(value)
        clean_agents: dict[str, float | tuple[float, ...]] | None = None
        if agents is not None:
            clean_agents = {}
            if not isinstance(agents, Mapping):
                problems.append(Problem("agents", "expected a mapping pool -> agents", agents))
                agents = {}
            for key, value in agents.items():
                path = f"agents.{key}"
                if isinstance(value, list | tuple | np.ndarray):
                    nums = [_agent_number(v) for v in value]
                    if not nums:
                        problems.append(
                            Problem(path, "expected a non-empty list of agent numbers >= 0", value)
                        )
                    bad = [(i, v) for i, v in enumerate(nums) if isinstance(v, str)]
                    for i, why in bad:
                        problems.append(
                            Problem(
                                path,
                                "expected a list of agent numbers >= 0, one per period; "
                                f"item {i} (period {i}): {why}",
                                _shown(value[i]),
                            )
                        )
                    if nums and not bad:
                        clean_agents[str(key)] = tuple(float(v) for v in nums)
                else:
                    num = _agent_number(value)
                    if isinstance(num, str):
                        problems.append(
                            Problem(path, f"{num} (or a list, one per period)", _shown(value))
                        )
                    else:
                        clean_agents[str(key)] = num
        if not isinstance(name, str):
            problems.append(Problem("name", f"expected text, got {name!r}", name))
            name = str(name)
        if problems:
            raise ScenarioError(problems, "plan")
        object.__setattr__(self, "_starts", MappingProxyType(clean_starts))
        object.__setattr__(
            self, "_agents", None if clean_agents is None else MappingProxyType(clean_agents)
        )
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_optimization", None)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Plan is frozen; cannot set {key!r} (build a new Plan)")

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType does not pickle; process and Dask workers need plans.
        agents = None if self._agents is None else dict(self._agents)
        return (_restore, (dict(self._starts), agents, self._name, self._optimization))

    @property
    def starts(self) -> Mapping[str, int]:
        """Initiative -> 0-based start period (read-only)."""
        return self._starts

    @property
    def agents(self) -> Mapping[str, float | tuple[float, ...]] | None:
        """Pool -> agents (one number or one per period), or None (read-only)."""
        return self._agents

    @property
    def name(self) -> str:
        """The plan's label."""
        return self._name

    @property
    def optimization(self) -> Any:
        """How :func:`channelopt.optimize` found this plan, or None.

        An :class:`channelopt.planning.OptimizationResult`: the plan's exact
        evaluation (``.evaluation``), the model's own estimate of the objective
        (``.estimate``, money), the proven gap, the solver status and the
        timings. ``None`` for a plan built by hand or read from a file; it is
        not part of equality and not written to plan files.
        """
        return self._optimization

    def _with_optimization(self, record: Any) -> Plan:
        """A copy of this plan that carries ``record`` as :attr:`optimization`."""
        out = Plan(dict(self._starts), None if self._agents is None else dict(self._agents),
                   self._name)  # fmt: skip
        object.__setattr__(out, "_optimization", record)
        return out

    def _key(self) -> tuple[Any, ...]:
        agents = None if self._agents is None else tuple(sorted(self._agents.items()))
        return (tuple(sorted(self._starts.items())), agents, self._name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Plan):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        agents = None if self._agents is None else dict(self._agents)
        return f"Plan(starts={dict(self._starts)}, agents={agents}, name={self._name!r})"

    # --- helpers ------------------------------------------------------------------------

    def agents_for(self, pool: str, n_periods: int) -> np.ndarray | None:
        """Agents of ``pool`` per period as an array of length ``n_periods`` (None if not given)."""
        if self._agents is None or pool not in self._agents:
            return None
        value = self._agents[pool]
        if isinstance(value, tuple):
            if len(value) != n_periods:
                raise ScenarioError(
                    [
                        Problem(
                            f"agents.{pool}",
                            f"expected {n_periods} values (one per period), got {len(value)}",
                            value,
                        )
                    ],
                    "plan",
                )
            return np.array(value, dtype=float)
        return np.full(n_periods, float(value))

    def problems_against(self, scenario: Scenario) -> list[Problem]:
        """Problems of this plan for ``scenario``: unknown initiatives or pools, starts
        outside the periods, agent lists of the wrong length. ``requires``/``excludes``
        are feasibility questions, see :meth:`Scenario.check_starts`."""
        out: list[Problem] = []
        count = scenario.n_periods
        known = list(scenario.initiatives)
        for key, start in self._starts.items():
            if key not in scenario.initiatives:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                out.append(
                    Problem(
                        f"starts.{key}",
                        f"unknown initiative {key!r}{hint} (known: {', '.join(known) or 'none'})",
                        key,
                    )
                )
            elif start >= count:
                out.append(
                    Problem(
                        f"starts.{key}",
                        f"start period {start} is outside [0, {count}) of {scenario.name!r}",
                        start,
                    )
                )
        if self._agents is not None:
            missing = [pool for pool in scenario.pools if pool not in self._agents]
            if missing:
                given = [pool for pool in self._agents if pool in scenario.pools]
                out.append(
                    Problem(
                        "agents",
                        f"agents are given for {', '.join(given) or 'no pool of the scenario'} "
                        f"but not for {', '.join(missing)}; give agents for every pool of "
                        f"{scenario.name!r} ({', '.join(scenario.pools)}) or leave 'agents' out "
                        "to staff every channel to its targets",
                        sorted(self._agents),
                    )
                )
        for pool, value in (self._agents or {}).items():
            if pool not in scenario.pools:
                close = difflib.get_close_matches(pool, list(scenario.pools), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                out.append(
                    Problem(
                        f"agents.{pool}",
                        f"unknown pool {pool!r}{hint} (known: {', '.join(scenario.pools)})",
                        pool,
                    )
                )
            elif isinstance(value, tuple) and len(value) != count:
                out.append(
                    Problem(
                        f"agents.{pool}",
                        f"expected {count} values (one per period) or one number, got {len(value)}",
                        list(value),
                    )
                )
        return out

    def validate_against(self, scenario: Scenario) -> Plan:
        """Return this plan if it fits ``scenario``, else raise ``ScenarioError``."""
        problems = self.problems_against(scenario)
        if problems:
            raise ScenarioError(problems, f"plan {self._name!r}" if self._name else "plan")
        return self

    # --- files --------------------------------------------------------------------------

    def to_document(self) -> dict[str, Any]:
        """The plan as plain data (what :meth:`to_yaml` writes)."""

        def num(v: float) -> int | float:
            return int(v) if float(v).is_integer() else float(v)

        out: dict[str, Any] = {}
        if self._name:
            out["name"] = self._name
        out["starts"] = dict(self._starts)
        if self._agents is not None:
            out["agents"] = {
                k: [num(x) for x in v] if isinstance(v, tuple) else num(v)
                for k, v in self._agents.items()
            }
        return out

    def to_yaml(self) -> str:
        """The plan as YAML text that :meth:`from_yaml` reads back equal."""
        return dump_yaml(self.to_document())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the plan to ``path`` atomically."""
        from .io import atomic_write

        atomic_write(Path(path), self.to_yaml())

    @classmethod
    def from_dict(cls, data: Any, source: str | None = None) -> Plan:
        """Build a plan from plain data (a plan document)."""
        if not isinstance(data, Mapping):
            raise ScenarioError(
                [
                    Problem(
                        "",
                        f"expected a mapping with keys {', '.join(_KEYS)}, got {data!r}"[:200],
                        data,
                    )
                ],
                source,
            )
        problems = []
        for key in data:
            if key not in _KEYS:
                close = difflib.get_close_matches(str(key), _KEYS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    Problem(
                        str(key), f"unknown key {key!r}{hint} (expected {', '.join(_KEYS)})", key
                    )
                )
        try:
            plan = cls(
                starts=data.get("starts") or {},
                agents=data.get("agents"),
                name=data.get("name") or "",
            )
        except ScenarioError as exc:
            problems.extend(exc.problems)
        if problems:
            raise ScenarioError(problems, source)
        return plan

    @classmethod
    def from_yaml(cls, text: str, source: str | None = None) -> Plan:
        """Read a plan from YAML text."""
        doc = load_yaml(text, source)
        if doc.problems:
            raise ScenarioError(doc.problems, source)
        try:
            return cls.from_dict(doc.data, source)
        except ScenarioError as exc:
            problems = [
                Problem(p.path, p.message, p.value, p.line or doc.line_of(p.path))
                for p in exc.problems
            ]
            raise ScenarioError(problems, source) from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Plan:
        """Read a plan file."""
        text = read_text_limited(path, "plan")
        return cls.from_yaml(text, str(path))


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Read a plan file (see :class:`Plan`)."""
    return Plan.load(path)


def _restore(
    starts: Mapping[str, int],
    agents: Mapping[str, Any] | None,
    name: str,
    optimization: Any = None,
) -> Plan:
    """Unpickle a :class:`Plan` (with its optimisation record, if any)."""
    plan = Plan(starts, agents, name)
    if optimization is not None:
        object.__setattr__(plan, "_optimization", optimization)
    return plan
