"""Rules between fields, checked on the raw document.

The models check each field on its own; these rules need several fields at
once (references between blocks, row sums, the routing loop, kinds). They run
on the raw document, not on the models, so that they can report alongside the
models' problems: every problem of a file is found in one load. Each rule reads
what it needs defensively and stays silent about values of the wrong type (the
models report those).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import Problem
from ..units import SECONDS_PER_DAY, format_duration, parse_duration, parse_opening_hours
from .kinds import KINDS, FlowBehaviour
from .shifts import shift_rules

__all__ = ["open_mask", "routing_matrix", "spectral_radius", "validate_document"]

#: the validation tables, generated from the channel-kind registry (scenario/kinds.py)
#: channel keys that do not fit a kind, and why
NOT_FOR_KIND: dict[str, dict[str, str]] = {
    k.value: {key: spec.reasons[key] for key in spec.refused} for k, spec in KINDS.items()
}
#: keys a kind needs
REQUIRED_FOR_KIND: dict[str, tuple[str, ...]] = {k.value: s.required for k, s in KINDS.items()}
#: target keys that fit a kind (kinds without targets are absent)
TARGETS_FOR_KIND: dict[str, tuple[str, ...]] = {
    k.value: s.targets for k, s in KINDS.items() if s.targets
}
#: a target key a kind always needs
REQUIRED_TARGET: dict[str, str] = {
    k.value: s.required_target for k, s in KINDS.items() if s.required_target
}
#: which channel multipliers an effect may apply to which kind
EFFECTS_FOR_KIND: dict[str, tuple[str, ...]] = {k.value: s.effects for k, s in KINDS.items()}
#: kinds served by agents
STAFFED: tuple[str, ...] = tuple(k.value for k, s in KINDS.items() if s.staffed)
#: kinds whose contacts wait in a queue served in real time (``head_start`` applies)
QUEUED: tuple[str, ...] = tuple(k.value for k, s in KINDS.items() if s.queues)
#: kinds whose contacts flow as self-service (contained, else handed off)
_CONTAINED = {k.value for k, s in KINDS.items() if s.flow is FlowBehaviour.CONTAINED}
#: kinds that do not repeat (what is not contained nor handed off gives up)
_NO_REPEAT = _CONTAINED
#: every target key of any kind
_ALL_TARGETS = tuple(dict.fromkeys(t for s in KINDS.values() for t in s.targets))


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    try:
        x = float(x)
    except OverflowError:  # a huge integer: the field pass reports it
        return None
    return x if math.isfinite(x) else None


def _dur(x: Any) -> float | None:
    try:
        out = parse_duration(x)
    except (ValueError, TypeError, OverflowError):
        return None
    return out if 0 < out < math.inf else None


def _dur0(x: Any) -> float | None:
    """A finite duration >= 0 in seconds, or None."""
    try:
        out = parse_duration(x)
    except (ValueError, TypeError, OverflowError):
        return None
    return out if 0 <= out < math.inf else None


def _fmt(seconds: float) -> str:
    return format_duration(seconds) if seconds > 0 else "0s"


#: parameters each distribution family takes (DESIGN.md "Keys for how real centres work")
FAMILY_PARAMETERS: dict[str, tuple[str, ...]] = {
    "exponential": (),
    "lognormal": ("cv",),
    "gamma": ("cv",),
    "uniform": ("min", "max"),
    "constant": (),
    "triangular": ("min", "mode", "max"),
    "empirical": ("samples",),
}
#: smallest cv of a lognormal or gamma (a gamma's shape is 1 / cv^2)
MIN_SHAPE_CV = 1e-6
#: relative tolerance between the mean of a given shape and aht/patience
MEAN_TOLERANCE = 0.01


def shape_mean(family: str, d: Mapping[str, Any]) -> float | None:
    """Mean (s) of a uniform, triangular or empirical shape as written; None otherwise."""
    if family == "uniform":
        lo, hi = _dur0(d.get("min")), _dur0(d.get("max"))
        return None if lo is None or hi is None else (lo + hi) / 2
    if family == "triangular":
        vals = [_dur0(d.get(k)) for k in ("min", "mode", "max")]
        return None if any(v is None for v in vals) else sum(vals) / 3  # type: ignore[arg-type]
    if family == "empirical":
        samples = _list(d.get("samples")) or []
        vals = [_dur0(v) for v in samples]
        if not vals or any(v is None for v in vals):
            return None
        return math.fsum(vals) / len(vals)  # type: ignore[arg-type]
    return None


def _is_inf(x: Any) -> bool:
    try:
        return math.isinf(parse_duration(x))
    except (ValueError, TypeError, OverflowError):
        return False


def _map(x: Any) -> Mapping[Any, Any]:
    return x if isinstance(x, Mapping) else {}


def _list(x: Any) -> list[Any] | tuple[Any, ...] | None:
    return x if isinstance(x, list | tuple) else None


def open_mask(hours: str, interval_s: float) -> np.ndarray:
    """Boolean mask of intervals overlapping the opening hours ``hours``.

    An interval is open when it overlaps the opening hours by any amount;
    ``close < open`` means opening across midnight, ``open == close`` all day.
    """
    n = round(SECONDS_PER_DAY / interval_s)
    start, end = parse_opening_hours(hours)
    lo = np.arange(n) * interval_s
    hi = lo + interval_s
    if start == end or (start == 0.0 and end == SECONDS_PER_DAY):
        return np.ones(n, dtype=bool)
    if start < end:
        return (hi > start) & (lo < end)
    return (hi > start) | (lo < end)  # across midnight


def routing_matrix(
    kinds: list[str],
    handoff: np.ndarray,
    repeat_to: np.ndarray,
    resolution: np.ndarray,
    containment: np.ndarray,
) -> np.ndarray:
    """Expected next visits per visit when every contact is served.

    ``M[i, j]`` = expected contacts entering channel j caused by one contact
    served in channel i ("What happens to a contact"): self-service
    ``(1 - containment) x handoff``; other kinds ``handoff + (1 - row sum of
    handoff) x (1 - resolution) x repeat_to``. Retrials are left out: they
    return to the same channel with probability at most ``retrials.probability``
    < 1 and only for abandoned contacts, which the staffing layer handles as a
    contraction.
    """
    m = np.zeros_like(handoff, dtype=float)
    for i, kind in enumerate(kinds):
        if kind in _CONTAINED:
            m[i] = (1.0 - containment[i]) * handoff[i]
        else:
            left = max(0.0, 1.0 - handoff[i].sum())
            m[i] = handoff[i] + left * (1.0 - resolution[i]) * repeat_to[i]
    return m


def spectral_radius(m: np.ndarray) -> float:
    """Largest modulus of the eigenvalues of ``m``."""
    if m.size == 0:
        return 0.0
    return float(np.max(np.abs(np.linalg.eigvals(m))))


class _Checker:
    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.channels = {k: v for k, v in _map(doc.get("channels")).items() if isinstance(k, str)}
        self.kinds = {
            k: v.get("kind") if isinstance(v, Mapping) else None for k, v in self.channels.items()
        }
        self.initiatives = {
            k: v for k, v in _map(doc.get("initiatives")).items() if isinstance(k, str)
        }
        interval = _dur(doc.get("interval", "30min"))
        interval = interval if interval and interval >= 60.0 else None  # the model reports it
        n = SECONDS_PER_DAY / interval if interval else 0
        self.interval = interval if interval and abs(n - round(n)) < 1e-9 else None
        periods = _map(doc.get("periods"))
        count = periods.get("count", 1)
        self.count = count if isinstance(count, int) and not isinstance(count, bool) else None

    def add(self, path: str, message: str, value: Any = None) -> None:
        self.problems.append(Problem(path, message, value))

    def known_channel(self, path: str, name: Any, what: str = "channel") -> bool:
        if isinstance(name, str) and name in self.channels:
            return True
        import difflib

        close = difflib.get_close_matches(str(name), list(self.channels), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self.add(
            path,
            f"unknown {what} {name!r}{hint} (known channels: {', '.join(self.channels) or 'none'})",
            name,
        )
        return False

    # --- channels -------------------------------------------------------------------------

    def channels_rules(self) -> None:
        if (
            "channels" in self.doc
            and not self.channels
            and isinstance(self.doc.get("channels"), Mapping)
        ):
            self.add("channels", "a scenario needs at least one channel", {})
        for name, ch in self.channels.items():
            if isinstance(ch, Mapping):
                self.channel_rules(f"channels.{name}", ch)

    def channel_rules(self, path: str, ch: Mapping[str, Any]) -> None:
        kind = ch.get("kind")
        if kind not in NOT_FOR_KIND:
            return  # the model reports the bad kind
        for key, why in NOT_FOR_KIND[kind].items():
            if ch.get(key) is not None:
                self.add(f"{path}.{key}", f"{key!r} does not fit a {kind} channel: {why}", ch[key])
        for key in REQUIRED_FOR_KIND[kind]:
            if ch.get(key) is None:
                self.add(f"{path}.{key}", f"a {kind} channel needs {key!r}", None)
        self.service_rules(path, ch)
        has_volume, has_arrivals = ch.get("volume") is not None, ch.get("arrivals") is not None
        if has_volume and has_arrivals:
            self.add(
                f"{path}.arrivals",
                "give either 'volume' (per day) or 'arrivals' (per interval), not both",
            )
        elif not has_volume and not has_arrivals:
            self.add(
                path, "a channel needs 'volume' (contacts per day) or 'arrivals' (per interval)"
            )
        if has_arrivals and "profile" in ch:
            self.add(
                f"{path}.profile",
                "'profile' shapes a daily 'volume'; it does not fit explicit 'arrivals'",
            )
        hours = ch.get("open")
        if hours is None:  # None or absent: the scenario's opening hours
            hours = self.doc.get("open", "24h")
        mask = None
        if self.interval is not None and isinstance(hours, str):
            try:
                mask = open_mask(hours, self.interval)
            except ValueError:
                mask = None
        for key in ("profile", "arrivals"):
            values = _list(ch.get(key))
            if values is None or mask is None:
                continue
            n_all, n_open = len(mask), int(mask.sum())
            if len(values) not in (n_all, n_open):
                self.add(
                    f"{path}.{key}",
                    f"expected {n_all} values (one per interval of the day) or {n_open} "
                    f"(one per open interval), got {len(values)}",
                    len(values),
                )
            elif key == "profile" and all(_num(v) is not None for v in values) and sum(values) <= 0:
                self.add(f"{path}.profile", "a profile needs at least one value > 0", values)
        target = ch.get("target")
        if kind in TARGETS_FOR_KIND:
            target_map = _map(target)
            for key in target_map:
                if key not in TARGETS_FOR_KIND[kind] and key in _ALL_TARGETS:
                    self.add(
                        f"{path}.target.{key}",
                        f"target {key!r} does not fit a {kind} channel (use one of "
                        f"{', '.join(TARGETS_FOR_KIND[kind])})",
                        target_map[key],
                    )
            if isinstance(target, Mapping) or target is None:
                useful = [k for k in TARGETS_FOR_KIND[kind] if target_map.get(k) is not None]
                needed = REQUIRED_TARGET.get(kind)
                if needed is not None and target_map.get(needed) is None:
                    self.add(f"{path}.target.{needed}", f"a {kind} channel needs target {needed!r}")
                elif not useful:
                    self.add(
                        f"{path}.target",
                        f"a {kind} channel needs at least one target of "
                        f"{', '.join(TARGETS_FOR_KIND[kind])}",
                        target,
                    )
            if (target_map.get("service_level") is None) != (target_map.get("within") is None):
                missing = "within" if target_map.get("within") is None else "service_level"
                self.add(f"{path}.target.{missing}", "'service_level' and 'within' go together")
            occ = _num(target_map.get("max_occupancy"))
            if occ is not None and occ == 0:
                self.add(f"{path}.target.max_occupancy", "expected a fraction > 0", occ)

    def distribution_rules(self, path: str, dist: Any, mean_key: str, mean: float | None) -> None:
        """Parameters of one distribution fit its family; a given shape agrees with the mean."""
        if not isinstance(dist, Mapping):
            return  # the model reports it
        family = dist.get("distribution", "exponential")
        if family not in FAMILY_PARAMETERS:
            return  # the model reports the bad family
        needed = FAMILY_PARAMETERS[family]
        for key in ("cv", "min", "mode", "max", "samples"):
            if dist.get(key) is None or key in needed:
                continue
            cv = _num(dist.get("cv")) if key == "cv" else None
            if (family, cv) in (("exponential", 1.0), ("constant", 0.0)):
                continue  # says what the family means anyway
            takes = ", ".join(repr(k) for k in needed) or "no parameters"
            self.add(
                f"{path}.{key}",
                f"{key!r} does not fit a {family} distribution (it takes {takes})",
                dist[key],
            )
        for key in needed:
            if dist.get(key) is None:
                self.add(f"{path}.{key}", f"a {family} distribution needs {key!r}")
        if family in ("lognormal", "gamma"):
            cv = _num(dist.get("cv"))
            if cv is not None and cv < MIN_SHAPE_CV:
                self.add(
                    f"{path}.cv",
                    f"expected a cv >= {MIN_SHAPE_CV:g} for a {family} distribution "
                    "(write distribution: constant for no variation)",
                    cv,
                )
        if family == "uniform":
            lo, hi = _dur0(dist.get("min")), _dur0(dist.get("max"))
            if lo is not None and hi is not None and lo > hi:
                self.add(f"{path}.min", f"expected min <= max ({_fmt(hi)}), got {_fmt(lo)}", lo)
        if family == "triangular":
            lo, mode, hi = (_dur0(dist.get(k)) for k in ("min", "mode", "max"))
            if lo is not None and mode is not None and hi is not None and not lo <= mode <= hi:
                self.add(
                    f"{path}.mode",
                    f"expected min <= mode <= max, got min {_fmt(lo)}, mode {_fmt(mode)}, "
                    f"max {_fmt(hi)}",
                    dist.get("mode"),
                )
        if family == "empirical":
            samples = _list(dist.get("samples"))
            if samples is not None and not samples:
                self.add(f"{path}.samples", "expected at least one sample (seconds >= 0)", [])
        m = shape_mean(family, dist)
        if m is not None and m <= 0:
            self.add(path, f"the {family} distribution has mean 0; it needs a mean > 0", m)
        elif m is not None and mean is not None and abs(m - mean) > MEAN_TOLERANCE * mean:
            self.add(
                path,
                f"the {family} distribution has mean {_fmt(m)} but {mean_key} is {_fmt(mean)}; "
                f"{mean_key} is the mean (the shape is scaled to it), so make them agree "
                f"within {MEAN_TOLERANCE:.0%}",
                round(m, 6),
            )

    def service_rules(self, path: str, ch: Mapping[str, Any]) -> None:
        """Handle-time and patience shapes, timeouts (round-2 keys of a channel)."""
        if ch.get("handle_time") is not None:
            if ch.get("aht_cv") is not None:
                self.add(
                    f"{path}.aht_cv",
                    "give either 'aht_cv' (an alias of handle_time: {distribution: lognormal, "
                    "cv: ...}) or 'handle_time', not both",
                    ch["aht_cv"],
                )
            self.distribution_rules(
                f"{path}.handle_time", ch["handle_time"], "aht", _dur(ch.get("aht"))
            )
        if ch.get("patience_distribution") is not None:
            patience = _dur(ch.get("patience"))
            if ch.get("patience") is None or _is_inf(ch.get("patience")):
                self.add(
                    f"{path}.patience_distribution",
                    "a patience distribution needs a finite mean 'patience' (omitting "
                    "'patience' means infinitely patient customers)",
                )
            self.distribution_rules(
                f"{path}.patience_distribution", ch["patience_distribution"], "patience", patience
            )
        timeout = ch.get("on_timeout")
        if timeout is not None and ch.get("max_wait") is None:
            self.add(
                f"{path}.on_timeout",
                "'on_timeout' says what happens at 'max_wait'; give 'max_wait' too",
                timeout,
            )
        if isinstance(timeout, Mapping) and isinstance(timeout.get("to"), str):
            name = path.split(".", 1)[1]
            if self.known_channel(f"{path}.on_timeout.to", timeout["to"]) and timeout["to"] == name:
                self.add(
                    f"{path}.on_timeout.to",
                    "a timed-out contact cannot move to its own channel (use on_timeout: retry)",
                    timeout["to"],
                )

    def routing_steps(self, pools: Mapping[Any, Any]) -> None:
        """Each channel's ``routing`` names pools that serve it, every such pool once."""
        skills_of = {
            name: [s for s in (_list(_map(p).get("skills")) or []) if isinstance(s, str)]
            for name, p in pools.items()
        }
        for ch_name, ch in self.channels.items():
            routing = _list(_map(ch).get("routing"))
            if routing is None:
                continue
            path = f"channels.{ch_name}.routing"
            if not routing:
                self.add(path, "expected at least one pool (or omit 'routing')", [])
                continue
            seen: set[str] = set()
            delays: list[float] = []
            for k, step in enumerate(routing):
                pool = step if isinstance(step, str) else _map(step).get("pool")
                if not isinstance(pool, str):
                    continue  # the model reports it
                after = _dur0(_map(step).get("after", 0)) if isinstance(step, Mapping) else 0.0
                delays.append(after if after is not None else 0.0)
                spath = f"{path}.{k}"
                if pool not in pools:
                    import difflib

                    close = difflib.get_close_matches(pool, [str(p) for p in pools], n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    self.add(
                        spath,
                        f"unknown pool {pool!r}{hint} (known pools: {', '.join(map(str, pools))})",
                        pool,
                    )
                    continue
                if ch_name not in skills_of[pool]:
                    self.add(
                        spath,
                        f"pool {pool!r} does not list {ch_name!r} in its skills, so it cannot "
                        "take these contacts",
                        pool,
                    )
                if pool in seen:
                    self.add(spath, f"pool {pool!r} is listed twice", pool)
                seen.add(pool)
            if delays and min(delays) > 0:
                only = len(routing) == 1
                self.add(
                    path,
                    (
                        "'after' on the only pool of a channel would leave every contact waiting "
                        "for nothing; drop it"
                        if only
                        else "at least one pool must take a contact at once (after: 0); "
                        "otherwise every contact waits for nothing"
                    ),
                    routing,
                )
            for pool, skills in skills_of.items():
                if ch_name in skills and pool not in seen:
                    self.add(
                        path,
                        f"pool {pool!r} lists {ch_name!r} in its skills but is missing from the "
                        "routing; add it (with 'after' to make it an overflow) or remove "
                        f"{ch_name!r} from its skills",
                        pool,
                    )

    # --- journeys -------------------------------------------------------------------------

    def rows(self, path: str, rows: Any, allow_self: bool) -> None:
        for src, row in _map(rows).items():
            rpath = f"{path}.{src}"
            ok = self.known_channel(rpath, src)
            if ok and path.endswith("repeats.to") and self.kinds.get(src) in _NO_REPEAT:
                self.add(
                    rpath,
                    "self-service contacts do not repeat (not contained and not "
                    "handed off, they give up unresolved)",
                    src,
                )
            total = 0.0
            for dst, p in _map(row).items():
                self.known_channel(f"{rpath}.{dst}", dst)
                if dst == src and not allow_self:
                    self.add(f"{rpath}.{dst}", "a channel cannot hand off to itself", p)
                total += _num(p) or 0.0
            if total > 1.0 + 1e-12:
                self.add(
                    rpath, f"probabilities in a row must sum to at most 1, got {total:g}", dict(row)
                )

    def journeys_rules(self) -> None:
        j = _map(self.doc.get("journeys"))
        self.rows("journeys.handoffs", j.get("handoffs"), allow_self=False)
        self.rows("journeys.repeats.to", _map(j.get("repeats")).get("to"), allow_self=True)
        p = _num(_map(j.get("retrials")).get("probability"))
        if p is not None and p >= 1.0:
            self.add(
                "journeys.retrials.probability",
                "expected a probability below 1 (with 1 an abandoned contact would retry forever)",
                p,
            )

    def arrays(
        self,
    ) -> tuple[list[str], dict[str, int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        names = list(self.channels)
        index = {n: i for i, n in enumerate(names)}
        c = len(names)
        h, r = np.zeros((c, c)), np.zeros((c, c))
        j = _map(self.doc.get("journeys"))
        for mat, rows in ((h, j.get("handoffs")), (r, _map(j.get("repeats")).get("to"))):
            for src, row in _map(rows).items():
                for dst, p in _map(row).items():
                    if src in index and dst in index and _num(p) is not None:
                        mat[index[src], index[dst]] = min(max(_num(p) or 0.0, 0.0), 1.0)
        res, cont = np.ones(c), np.zeros(c)
        for i, n in enumerate(names):
            ch = _map(self.channels[n])
            r_i, c_i = _num(ch.get("resolution", 1.0)), _num(ch.get("containment", 0.0))
            res[i] = 1.0 if r_i is None else min(max(r_i, 0.0), 1.0)
            cont[i] = 0.0 if c_i is None else min(max(c_i, 0.0), 1.0)
        kinds = [str(self.kinds[n]) for n in names]
        return kinds, index, h, r, res, cont

    def routing_rules(self) -> None:
        if not self.channels:
            return
        kinds, index, h, r, res, cont = self.arrays()
        rho = spectral_radius(routing_matrix(kinds, h, r, res, cont))
        if rho >= 1.0:
            self.add(
                "journeys",
                f"the routing of hand-offs and repeats has spectral radius {rho:.4g} >= 1: "
                "contacts would loop between channels forever; lower hand-off or repeat "
                "probabilities or raise resolution",
                round(rho, 6),
            )
            return
        # Worst case over initiatives: every multiplier that raises a routing entry at full size.
        h2, res2, cont2 = h.copy(), res.copy(), cont.copy()
        for ini in self.initiatives.values():
            for eff in _list(_map(ini).get("effects")) or []:
                eff = _map(eff)
                ho = _map(eff.get("handoff"))
                f = _num(ho.get("factor"))
                a, b = ho.get("from"), ho.get("to")
                if (
                    f
                    and f > 1
                    and isinstance(a, str)
                    and isinstance(b, str)
                    and {a, b} <= set(index)
                ):
                    h2[index[a], index[b]] = min(1.0, h2[index[a], index[b]] * f)
                ch = eff.get("channel")
                if isinstance(ch, str) and ch in index:
                    m = _num(eff.get("resolution"))
                    if m and m < 1:
                        res2[index[ch]] *= m
                    m = _num(eff.get("containment"))
                    if m and m < 1:
                        cont2[index[ch]] *= m
        for i in range(len(kinds)):
            if h2[i].sum() > 1:
                h2[i] /= h2[i].sum()
        rho2 = spectral_radius(routing_matrix(kinds, h2, r, res2, cont2))
        if rho2 >= 1.0:
            self.add(
                "initiatives",
                f"with the initiatives' hand-off, resolution and containment effects at full size "
                f"the routing has spectral radius {rho2:.4g} >= 1: contacts could loop forever",
                round(rho2, 6),
            )

    # --- pools ----------------------------------------------------------------------------

    def pools_rules(self) -> None:
        pools = self.doc.get("pools")
        if not isinstance(pools, Mapping):
            return
        served: set[str] = set()
        for name, pool in pools.items():
            pool = _map(pool)
            skills = _list(pool.get("skills")) or []
            seen: set[Any] = set()
            for k, skill in enumerate(skills):
                path = f"pools.{name}.skills.{k}"
                if not isinstance(skill, str):
                    continue
                if skill in seen:
                    self.add(path, f"channel {skill!r} is listed twice", skill)
                seen.add(skill)
                if self.known_channel(path, skill):
                    kind = self.kinds.get(skill)
                    if kind in NOT_FOR_KIND and kind not in STAFFED:
                        label = str(kind).replace("_", "-")
                        self.add(path, f"{skill!r} is a {label} channel; no agents serve it", skill)
                    served.add(skill)
            if not skills and isinstance(pool.get("skills"), list):
                self.add(
                    f"pools.{name}.skills", "a pool needs at least one channel in 'skills'", []
                )
            for ch_name, factor in _map(pool.get("handle_time_factor")).items():
                if isinstance(ch_name, str) and ch_name not in skills:
                    self.add(
                        f"pools.{name}.handle_time_factor.{ch_name}",
                        f"{ch_name!r} is not one of the skills of pool {name!r} "
                        f"({', '.join(map(str, skills)) or 'none'})",
                        factor,
                    )
            agents, cap = _num(pool.get("agents")), _num(pool.get("max_agents"))
            if agents is not None and cap is not None and agents > cap:
                self.add(
                    f"pools.{name}.agents",
                    f"today's roster {agents:g} exceeds max_agents {cap:g}",
                    agents,
                )
        self.routing_steps(pools)
        for ch, kind in self.kinds.items():
            if kind in STAFFED and ch not in served:
                self.add(
                    f"channels.{ch}",
                    f"staffed channel {ch!r} is in no pool's skills; add it to a pool "
                    "(or omit 'pools' for one dedicated pool per channel)",
                    ch,
                )

    def head_start_rules(self) -> None:
        """A ``head_start`` needs a pool that selects the longest-waiting contact.

        Under ``skill_selection: priority`` (the default, and the only choice of
        the dedicated pools made when ``pools`` is omitted) a freed agent takes
        contacts by skill order, so a head start would silently do nothing.
        """
        pools = self.doc.get("pools")
        pools = pools if isinstance(pools, Mapping) else {}
        for ch, raw in self.channels.items():
            start = _dur0(_map(raw).get("head_start"))
            if not start or self.kinds.get(ch) not in QUEUED:
                continue
            serving = [
                (str(name), _map(p).get("skill_selection", "priority"))
                for name, p in pools.items()
                if ch in (_list(_map(p).get("skills")) or [])
            ]
            if any(sel == "longest_waiting" for _name, sel in serving):
                continue
            where = (
                "pools " + ", ".join(repr(n) for n, _sel in serving) + " select by skill priority"
                if serving
                else "no pool lists it (a dedicated pool selects by skill priority)"
            )
            self.add(
                f"channels.{ch}.head_start",
                f"head start {_fmt(start)} has no effect: {where}; set "
                "'skill_selection: longest_waiting' on a pool that serves it with the "
                "channels it should overtake",
                _map(raw).get("head_start"),
            )

    # --- periods, budget, targets -------------------------------------------------------

    def period_rules(self) -> None:
        growth = _map(_map(self.doc.get("periods")).get("growth"))
        for ch, values in growth.items():
            path = f"periods.growth.{ch}"
            self.known_channel(path, ch)
            values = _list(values)
            if values is not None and self.count is not None and len(values) != self.count:
                self.add(
                    path,
                    f"expected {self.count} values (one per period), got {len(values)}",
                    len(values),
                )
        per = _list(_map(self.doc.get("budget")).get("per_period"))
        if per is not None and self.count is not None and len(per) != self.count:
            self.add(
                "budget.per_period",
                f"expected {self.count} values (one per period), got {len(per)}",
                len(per),
            )
        targets = _map(self.doc.get("targets"))
        mode = targets.get("mode", "hard")
        penalty = targets.get("penalty_per_point_below")
        if mode == "soft" and penalty is None:
            self.add(
                "targets.penalty_per_point_below",
                "soft targets need a penalty per service-level point below target",
            )
        if mode == "hard" and penalty is not None:
            self.add(
                "targets.penalty_per_point_below", "a penalty only applies with mode: soft", penalty
            )

    # --- initiatives ----------------------------------------------------------------------

    def initiative_rules(self) -> None:
        names = list(self.initiatives)
        requires: dict[str, list[str]] = {}
        excludes: dict[str, set[str]] = {}
        for name, ini in self.initiatives.items():
            ini = _map(ini)
            for key in ("requires", "excludes"):
                for k, other in enumerate(_list(ini.get(key)) or []):
                    path = f"initiatives.{name}.{key}.{k}"
                    if not isinstance(other, str):
                        continue
                    if other == name:
                        self.add(path, f"an initiative cannot {key[:-1]} itself", other)
                    elif other not in self.initiatives:
                        import difflib

                        close = difflib.get_close_matches(other, names, n=1)
                        hint = f"; did you mean {close[0]!r}?" if close else ""
                        self.add(
                            path,
                            f"unknown initiative {other!r}{hint} (known: {', '.join(names)})",
                            other,
                        )
                    elif key == "requires":
                        requires.setdefault(name, []).append(other)
                    else:
                        excludes.setdefault(name, set()).add(other)
                        excludes.setdefault(other, set()).add(name)
            self.effect_rules(name, ini)
        # cycles in requires
        state: dict[str, int] = {}
        stack: list[str] = []
        cycles: list[list[str]] = []

        def visit(n: str) -> None:
            state[n] = 1
            stack.append(n)
            for m in requires.get(n, []):
                if state.get(m) == 1:
                    cycles.append([*stack[stack.index(m) :], m])
                elif m not in state:
                    visit(m)
            stack.pop()
            state[n] = 2

        for n in names:
            if n not in state:
                visit(n)
        for cycle in cycles:
            self.add(
                f"initiatives.{cycle[0]}.requires",
                f"'requires' has a cycle: {' -> '.join(cycle)}; none of them could ever start",
                cycle,
            )
        if cycles:
            return
        # requires (transitively) something it excludes, or two requirements exclude each other
        for n in names:
            closure: list[str] = []
            todo = list(requires.get(n, []))
            while todo:
                m = todo.pop()
                if m not in closure:
                    closure.append(m)
                    todo.extend(requires.get(m, []))
            for m in closure:
                if m in excludes.get(n, set()):
                    self.add(
                        f"initiatives.{n}.requires",
                        f"{n!r} requires {m!r} but they exclude each other",
                        m,
                    )
            for a in closure:
                for b in closure:
                    if a < b and b in excludes.get(a, set()):
                        self.add(
                            f"initiatives.{n}.requires",
                            f"{n!r} requires both {a!r} and {b!r}, which exclude each other",
                            [a, b],
                        )

    def effect_rules(self, name: str, ini: Mapping[str, Any]) -> None:
        shifted: dict[str, float] = {}
        for k, eff in enumerate(_list(ini.get("effects")) or []):
            path = f"initiatives.{name}.effects.{k}"
            if not isinstance(eff, Mapping):
                continue
            # None is the same as leaving the key out (as in the models)
            groups = [g for g in ("channel", "shift", "handoff") if eff.get(g) is not None]
            multipliers = [
                m
                for m in ("volume", "aht", "patience", "resolution", "containment")
                if eff.get(m) is not None
            ]
            if len(groups) != 1:
                self.add(
                    path,
                    "an effect is exactly one of {channel: ..., <multipliers>}, "
                    "{shift: {from, to, fraction}} or {handoff: {from, to, factor}}; "
                    f"got keys {sorted(map(str, eff))}",
                    None,
                )
                continue
            if groups == ["channel"]:
                ch = eff["channel"]
                if not multipliers:
                    self.add(
                        path,
                        "a channel effect needs at least one of volume, aht, patience, resolution, "
                        "containment",
                    )
                if self.known_channel(f"{path}.channel", ch):
                    kind = self.kinds.get(ch)
                    for m in multipliers:
                        if kind in EFFECTS_FOR_KIND and m not in EFFECTS_FOR_KIND[kind]:
                            self.add(
                                f"{path}.{m}",
                                f"effect {m!r} does not fit {kind} channel {ch!r} (it accepts "
                                f"{', '.join(EFFECTS_FOR_KIND[kind])})",
                                eff[m],
                            )
                continue
            if multipliers:
                self.add(
                    f"{path}.{multipliers[0]}",
                    f"multipliers go in a channel effect, not beside {groups[0]!r}",
                )
            body = _map(eff[groups[0]])
            src, dst = body.get("from"), body.get("to")
            ok = True
            for key, ch in (("from", src), ("to", dst)):
                if ch is not None:
                    ok = self.known_channel(f"{path}.{groups[0]}.{key}", ch) and ok
            if ok and src is not None and src == dst:
                self.add(
                    f"{path}.{groups[0]}.to", f"'from' and 'to' are the same channel {src!r}", dst
                )
            if groups == ["shift"] and ok and src is not None:
                shifted[src] = shifted.get(src, 0.0) + (_num(body.get("fraction")) or 0.0)
                if shifted[src] > 1 + 1e-12:
                    self.add(
                        f"{path}.shift.fraction",
                        f"shifts out of {src!r} in this initiative sum to {shifted[src]:g} > 1",
                        body.get("fraction"),
                    )
            if groups == ["handoff"] and ok and src is not None and dst is not None:
                base = _num(
                    _map(_map(_map(self.doc.get("journeys")).get("handoffs")).get(src)).get(dst)
                )
                if not base:
                    self.add(
                        f"{path}.handoff",
                        f"no hand-off from {src!r} to {dst!r} in journeys.handoffs to scale",
                        dict(body),
                    )

    def run(self) -> list[Problem]:
        self.channels_rules()
        self.journeys_rules()
        self.routing_rules()
        self.pools_rules()
        self.head_start_rules()
        self.period_rules()
        self.initiative_rules()
        self.problems.extend(shift_rules(self.doc))
        return self.problems


def validate_document(doc: Mapping[str, Any]) -> list[Problem]:
    """Every cross-field problem of a (normalised) raw scenario document."""
    return _Checker(doc).run()


def names_in(values: Iterable[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str)]
