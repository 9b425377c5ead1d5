"""Generated multi-skill scenarios (2-6 skills, 2-5 pools) for the staffing-method tests,
and a large chat centre for the pooled memo's memory."""

from __future__ import annotations

import numpy as np


def multiskill_doc(seed: int, skills: int, pools: int) -> dict:
    """A valid scenario document: ``skills`` live channels (Erlang A, 80/20-type
    targets), ``pools`` pools (specialists first, then generalists covering
    several skills in a shuffled priority order), 8 busy half hours."""
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(skills)]
    channels = {}
    for name in names:
        volume = float(rng.uniform(40, 160))
        channels[name] = {
            "kind": "live",
            "arrivals": [0.0] * 16 + [round(volume, 1)] * 8 + [0.0] * 24,
            "aht": f"{int(rng.uniform(150, 420))}s",
            "patience": f"{int(rng.uniform(90, 400))}s",
            "target": {"service_level": 0.8, "within": "20s"},
        }
    pool_doc = {}
    for p in range(pools):
        if p < min(pools - 1, skills):
            sk = [names[p]]  # a specialist pool
        else:
            k = int(rng.integers(2, skills + 1))
            sk = [str(s) for s in rng.choice(names, size=k, replace=False)]
        pool_doc[f"p{p}"] = {
            "skills": sk,
            "agents": 10,
            "cost_per_hour": float(25 + 3 * len(sk) + rng.uniform(-1, 1)),
        }
    # every skill must be served
    served = {s for v in pool_doc.values() for s in v["skills"]}
    for name in names:
        if name not in served:
            pool_doc["p0"]["skills"].append(name)
    return {
        "name": f"multiskill {seed}",
        "interval": "30min",
        "channels": channels,
        "pools": pool_doc,
    }


def chat_centre_doc(scale: float, interval: str = "15min") -> dict:
    """A chat centre sharing a blended pool with voice, open 08:00-22:00: chat
    ``60,000 x scale`` a day (concurrency 4, 12 min, 80 % in 60 s), voice
    ``20,000 x scale`` (5 min, 80 % in 20 s); pools ``digital`` (chat), ``blend``
    (voice, chat) and ``phone`` (voice). ``scale`` 0.5093, 3.1984 and 8.6569 need
    500, 2,000 and 5,000 agents at the peak under ``method="pooled"`` (15 min)."""
    return {
        "name": f"chat centre x{scale}",
        "interval": interval,
        "open": "08:00-22:00",
        "channels": {
            "chat": {
                "kind": "concurrent",
                "volume": round(60000 * scale),
                "aht": "12min",
                "concurrency": 4,
                "patience": "5min",
                "target": {"service_level": 0.8, "within": "60s"},
            },
            "voice": {
                "kind": "live",
                "volume": round(20000 * scale),
                "aht": "5min",
                "patience": "3min",
                "target": {"service_level": 0.8, "within": "20s"},
            },
        },
        "pools": {
            "digital": {"skills": ["chat"], "cost_per_hour": 27},
            "blend": {"skills": ["voice", "chat"], "cost_per_hour": 29},
            "phone": {"skills": ["voice"], "cost_per_hour": 26},
        },
    }
