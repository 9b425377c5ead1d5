"""Benchmarks of the portfolio optimiser (issue 5).

A seeded generated portfolio (200 or 1,000 initiatives x 12 periods x 5
channels) with cross-channel effects (shifts, hand-off factors, containment)
and a binding budget is optimised with HiGHS to a 1 % gap on the improvement
over doing nothing. Build, solve and evaluation times and the model's
estimate against the exact re-evaluation go into ``extra_info``.

Run: ``.venv/bin/python -m pytest benchmarks/test_planning.py --benchmark-only -s``
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import channelopt as co
from channelopt.planning import optimize
from channelopt.planning.evaluate import clear_cache
from channelopt.solver import _pulp
from conftest import assert_ratio

CHANNELS = ("voice", "chat", "messaging", "email", "bot")
#: Issue 12: CPU seconds within which the portfolio must be optimised to a 1 % gap.
TARGET_CPU_S = {200: 5.0, 1000: 20.0}


def generated_portfolio(n_initiatives: int, n_periods: int = 12, seed: int = 0) -> dict:
    """A scenario document with ``n_initiatives`` random initiatives (seeded)."""
    rng = np.random.default_rng(seed)
    doc: dict = {
        "name": f"generated portfolio {n_initiatives}x{n_periods} seed {seed}",
        "interval": "1h",
        "open": "08:00-20:00",
        "channels": {
            "voice": {
                "kind": "live",
                "volume": 20000,
                "aht": "6min",
                "patience": "3min",
                "target": {"service_level": 0.8, "within": "20s"},
                "resolution": 0.8,
            },
            "chat": {
                "kind": "concurrent",
                "concurrency": 2,
                "volume": 8000,
                "aht": "9min",
                "patience": "4min",
                "target": {"service_level": 0.8, "within": "60s"},
                "resolution": 0.85,
            },
            "messaging": {
                "kind": "concurrent",
                "concurrency": 3,
                "volume": 5000,
                "aht": "15min",
                "target": {"service_level": 0.8, "within": "5min"},
                "resolution": 0.85,
            },
            "email": {
                "kind": "deferred",
                "volume": 4000,
                "aht": "8min",
                "deadline": "24h",
                "target": {"within_deadline": 0.95},
                "resolution": 0.9,
            },
            "bot": {"kind": "self_service", "volume": 15000, "containment": 0.35},
        },
        "journeys": {
            "handoffs": {"bot": {"chat": 0.3, "voice": 0.25}, "chat": {"voice": 0.05}},
            "repeats": {
                "delay": "4h",
                "to": {"voice": {"voice": 0.5, "chat": 0.2}, "chat": {"chat": 0.5, "voice": 0.2}},
            },
            "retrials": {"probability": 0.3, "delay": "10min"},
        },
        "pools": {
            "phone": {
                "skills": ["voice"],
                "agents": 400,
                "cost_per_hour": 32,
                "shrinkage": 0.3,
                "max_agents": 2000,
            },
            "digital": {
                "skills": ["chat", "messaging"],
                "agents": 250,
                "cost_per_hour": 30,
                "shrinkage": 0.3,
            },
            "back_office": {
                "skills": ["email"],
                "agents": 60,
                "cost_per_hour": 26,
                "shrinkage": 0.25,
            },
        },
        "periods": {
            "count": n_periods,
            "length": "month",
            "days": 21,
            "hours_per_fte": 160,
            "growth": {"chat": [1.0 + 0.02 * t for t in range(n_periods)]},
        },
        "economics": {"value_per_lost_contact": 12, "value_per_repeat": 4, "discount_rate": 0.08},
        "experience": {
            "wait_minute": 1,
            "handoff": 5,
            "repeat": 10,
            "abandoned": 25,
            "value_per_point": 0.2,
        },
    }
    initiatives: dict = {}
    shift_budget = 0.8 / max(1, n_initiatives // 6)  # shifts out of voice sum to < 1
    kinds = ["volume", "aht", "shift", "handoff", "containment", "resolution"]
    for i in range(n_initiatives):
        kind = kinds[int(rng.integers(len(kinds)))]
        channel = str(rng.choice(["voice", "chat", "messaging", "email"]))
        if kind == "volume":
            effects = [{"channel": channel, "volume": float(rng.uniform(0.97, 0.995))}]
        elif kind == "aht":
            effects = [{"channel": channel, "aht": float(rng.uniform(0.97, 0.995))}]
        elif kind == "shift":
            to = str(rng.choice(["chat", "messaging", "bot"]))
            effects = [
                {
                    "shift": {
                        "from": "voice",
                        "to": to,
                        "fraction": float(rng.uniform(0.3, 1.0) * shift_budget),
                    }
                }
            ]
        elif kind == "handoff":
            effects = [
                {
                    "handoff": {
                        "from": "bot",
                        "to": str(rng.choice(["voice", "chat"])),
                        "factor": float(rng.uniform(0.95, 0.99)),
                    }
                }
            ]
        elif kind == "containment":
            effects = [{"channel": "bot", "containment": float(rng.uniform(1.005, 1.02))}]
        else:
            effects = [
                {
                    "channel": channel if channel != "email" else "voice",
                    "resolution": float(rng.uniform(1.002, 1.01)),
                }
            ]
        ini = {
            "cost": {
                "upfront": round(float(rng.uniform(2e4, 1.5e5)), -3),
                "per_period": round(float(rng.uniform(0, 5e3)), -2),
            },
            "value_per_period": float(rng.choice([0.0, 0.0, rng.uniform(0, 1e4)])),
            "lead_time": int(rng.integers(0, 3)),
            "ramp": int(rng.integers(1, 4)),
            "effects": effects,
        }
        if i > 5 and rng.random() < 0.1:
            ini["requires"] = [f"i{int(rng.integers(0, i)):04d}"]
        elif i > 5 and rng.random() < 0.05:
            other = f"i{int(rng.integers(0, i)):04d}"
            if other not in initiatives or not initiatives[other].get("requires"):
                ini["excludes"] = [other]
        initiatives[f"i{i:04d}"] = ini
    # A requirement and an exclusion may not contradict: drop exclusions of required ones.
    for ini in initiatives.values():
        if "excludes" in ini and ini["excludes"][0] in ini.get("requires", []):
            del ini["excludes"]
    doc["initiatives"] = initiatives
    total_upfront = sum(v["cost"]["upfront"] for v in initiatives.values())
    doc["budget"] = {
        "total": 0.15 * total_upfront,
        "per_period": [0.04 * total_upfront] * n_periods,
    }
    return doc


def _solve(n: int) -> tuple[object, dict]:
    sc = co.load_scenario(generated_portfolio(n))
    clear_cache()
    t0 = time.process_time()
    res = optimize(sc, gap=0.01).optimization
    cpu = time.process_time() - t0
    ev = res.evaluation
    info = {
        "initiatives": n,
        "periods": sc.n_periods,
        "channels": len(sc.channels),
        "build_s": round(res.seconds["build"], 3),
        "solve_s": round(res.seconds["solve"], 3),
        "evaluate_s": round(res.seconds["evaluate"], 3),
        "build_cpu_s": round(res.seconds["build_cpu"], 3),
        "solve_cpu_s": round(res.seconds["solve_cpu"], 3),
        "evaluate_cpu_s": round(res.seconds["evaluate_cpu"], 3),
        "cpu_s_total": round(cpu, 3),
        "status": res.status,
        "gap_on_improvement": res.gap,
        "variables": res.size["variables"],
        "constraints": res.size["constraints"],
        "staffing_calls": res.size["staffing_calls"],
        "started": len(res.plan.starts),
        "spending": float(ev.money["initiative_spending"].sum()),
        "budget_total": float(sc.budget.total),
        "objective_exact": ev.objective,
        "objective_estimate": res.estimate,
        "improvement_exact": res.improvement,
        "improvement_estimate": res.estimate - res.baseline,
        "feasible": ev.feasible,
        "modes": sorted(set(res.modes.values())),
        # issue 12: 200 initiatives within 5 CPU-s, 1,000 within 20, both to a 1 % gap
        "target_cpu_s": TARGET_CPU_S.get(n),
        "meets_target": n in TARGET_CPU_S and cpu <= TARGET_CPU_S[n] and res.gap <= 0.01,
        "load_average": os.getloadavg()[0],
    }
    return res, info


@pytest.mark.parametrize("n", [200, 1000])
def test_portfolio_optimisation(benchmark, n: int) -> None:
    holder: dict = {}

    def run() -> None:
        holder["res"], holder["info"] = _solve(n)

    benchmark.pedantic(run, rounds=1, iterations=1)
    info = holder["info"]
    benchmark.extra_info.update(info)
    print(info)
    assert info["feasible"]
    assert info["spending"] <= info["budget_total"] + 1e-6


def _small_model(n_vars: int) -> None:
    m = _pulp.Model("guard")
    xs = [m.binary(f"x{i}") for i in range(n_vars)]
    m.add(_pulp.lin(((i % 7) + 1) * x for i, x in enumerate(xs)) <= n_vars, "cap")
    m.set_objective(_pulp.lin(((i % 5) + 1) * x for i, x in enumerate(xs)))


def _naive_model(n_vars: int) -> None:
    # The quadratic pattern the adapter forbids: Python sum() over PuLP terms.
    m = _pulp.Model("guard_naive")
    xs = [m.binary(f"x{i}") for i in range(n_vars)]
    expr = sum(((i % 7) + 1) * x for i, x in enumerate(xs))
    m.add(expr <= n_vars, "cap")


@pytest.mark.guard
def test_guard_lpsum_beats_python_sum() -> None:
    # Building a 1,500-term constraint with lpSum must stay far cheaper than Python's sum(),
    # which copies the growing expression at every step.
    assert_ratio(
        lambda: _small_model(1500),
        lambda: _naive_model(1500),
        at_least=3.0,
        label="model build, lpSum vs sum()",
    )
