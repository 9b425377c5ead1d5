"""Concurrent chat with stretch: the exact Markov chain of agents' chat counts.

Model (the simulation's rules, exponential chat work and patience): ``n``
agents each carry at most ``k`` chats. A new chat goes to an agent carrying the
fewest chats (an idle one first); when every agent carries ``k`` it waits in one
FIFO queue (abandoning at rate ``1 / patience``) and is taken by the first agent
that frees a slot. An agent carrying ``j`` chats works each at speed ``v(j) =
(1 + s (k - 1)) / (1 + s (j - 1))`` (``aht`` is the duration at full
concurrency), so it completes chats at rate ``j v(j) / aht``.

The state is the occupancy vector ``(a_0, ..., a_k)`` (``a_j`` agents carry
``j`` chats; agents are interchangeable), plus the queue length when every
agent is full. Departures leave an agent one chat lighter wherever it is, so
occupancies spread (the chain is not reversible and has no product form);
spreading them evenly, as the former model did, overstates the completion rate
(``j v(j)`` is concave) and the service level (by 0.3-0.8 points in the case
measured in docs/staffing.md, "Concurrent channels"; the round-1 figure of 1-3
points was not reproduced).

Solution. Above the full state ``F = (0, ..., 0, n)`` the chain is the
reference M/M/N+M tail (``N = n k`` slots, rate ``N / aht``), so
``T = sum_{q >= 0} pi(F, q) / pi(F)`` is the reference's, and every measure
conditional on waiting is the reference's too. The chain censored on the
non-full states and ``F`` is finite: its stationary vector, normalised by
``pi(F)``, is computed by the Grassmann-Taksar-Heyman state reduction (no
subtractions: stable) with the states ordered by total chats, which keeps the
work in a band (cost ``states x band^2``). Then ``P(wait) = T / (R + T)``
with ``R = sum_{x != F} pi(x) / pi(F)``, exactly as in the balanced model
with the exact ``R``.

``states = C(n + k, k)``; :data:`MAX_STATES` bounds the work (beyond it the
caller falls back to the balanced model and says so).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._kernels import ABANDON, ASA, OCCUPANCY, SERVICE, WAIT
from ._kernels import measures as _reference

#: Largest chain solved exactly (about 6 ms at 2,925 states, concurrency 3; 40 ms before
#: the state reduction skipped zero terms).
MAX_STATES = 3_000


def chain_states(n: int, k: int) -> int:
    """Number of occupancy vectors of ``n`` agents with at most ``k`` chats: C(n + k, k)."""
    return math.comb(n + k, k)


@numba.njit(cache=True)
def _enumerate(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Occupancy vectors ``a[:, 0..k]`` ordered by total chats, and each one's total."""
    total = 1
    for i in range(1, k + 1):
        total = total * (n + i) // i
    a = np.zeros((total, k + 1), dtype=np.int64)
    m = np.zeros(total, dtype=np.int64)
    # all (a_1..a_k) with sum <= n, by odometer
    cur = np.zeros(k + 1, dtype=np.int64)
    idx = 0
    while True:
        used = 0
        chats = 0
        for j in range(1, k + 1):
            used += cur[j]
            chats += j * cur[j]
        if used <= n:
            a[idx, 0] = n - used
            for j in range(1, k + 1):
                a[idx, j] = cur[j]
            m[idx] = chats
            idx += 1
        # next
        j = 1
        while j <= k:
            cur[j] += 1
            if cur[j] <= n:
                break
            cur[j] = 0
            j += 1
        if j > k:
            break
    order = np.argsort(m, kind="mergesort")
    return a[order], m[order]


@numba.njit(cache=True)
def _code(row: np.ndarray, n: int, k: int) -> int:
    c = 0
    for j in range(1, k + 1):
        c = c * (n + 1) + row[j]
    return c


@numba.njit(cache=True)
def chain_structure(n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The chain's shape at ``n`` agents, whatever the rates: ``(m, dst, chats, bw)``.

    ``m``: chats per state (states ordered by it); ``dst[i, 0]``: the state an
    arrival leads to, ``dst[i, j]``: the one a completion by an agent carrying
    ``j`` leads to (-1: none); ``chats[i, j] = j a_j`` (chats carried at ``j``);
    ``bw``: the band half-width. Built once per ``n`` by callers that solve the
    chain at several arrival rates (:func:`chat_point_on`).
    """
    a, m = _enumerate(n, k)
    size = a.shape[0]
    full = n * k
    lookup = np.full((n + 1) ** k, -1, dtype=np.int64)
    for i in range(size):
        lookup[_code(a[i], n, k)] = i
    # transitions: up to 1 arrival and k departures per state
    dst = np.full((size, k + 1), -1, dtype=np.int64)
    chats = np.zeros((size, k + 1), dtype=np.int64)
    row = np.empty(k + 1, dtype=np.int64)
    for i in range(size):
        if m[i] < full:
            low = 0
            while a[i, low] == 0:
                low += 1
            for j in range(k + 1):
                row[j] = a[i, j]
            row[low] -= 1
            row[low + 1] += 1
            dst[i, 0] = lookup[_code(row, n, k)]
        for j in range(1, k + 1):
            if a[i, j] > 0:
                for q in range(k + 1):
                    row[q] = a[i, q]
                row[j] -= 1
                row[j - 1] += 1
                dst[i, j] = lookup[_code(row, n, k)]
                chats[i, j] = a[i, j] * j
    bw = 0
    for i in range(size):
        for q in range(k + 1):
            if dst[i, q] >= 0:
                d = abs(dst[i, q] - i)
                if d > bw:
                    bw = d
    return m, dst, chats, bw


@numba.njit(cache=True, error_model="numpy")
def censored_weights(n: int, k: int, s: float, lam: float, aht: float) -> tuple[float, float, int]:
    """(R, E[chats | not full], states): ``R = sum_{x != F} pi(x) / pi(F)`` of the censored chain.

    ``lam`` arrivals per second, ``aht`` chat duration at full concurrency (s).
    """
    return _censored(chain_structure(n, k), k, s, lam, aht)


@numba.njit(cache=True, error_model="numpy")
def _censored(chain, k: int, s: float, lam: float, aht: float) -> tuple[float, float, int]:
    """:func:`censored_weights` on the shape from :func:`chain_structure`."""
    m, dst, chats, bw = chain
    size = m.shape[0]
    f_idx = size - 1  # the full state has the largest total
    top = 1.0 + s * (k - 1)
    rate = np.zeros((size, k + 1))
    for i in range(size):
        if dst[i, 0] >= 0:
            rate[i, 0] = lam
        for j in range(1, k + 1):
            if dst[i, j] >= 0:
                rate[i, j] = chats[i, j] * (top / (1.0 + s * (j - 1))) / aht
    width = 2 * bw + 1
    # band storage: P[i, j] at band[i, j - i + bw]
    band = np.zeros((size, width))
    for i in range(size):
        for q in range(k + 1):
            if dst[i, q] >= 0:
                band[i, dst[i, q] - i + bw] += rate[i, q]
    # GTH reduction: eliminate states from the highest index down (F last... so
    # reduce towards state 0, then back-substitute)
    # Only the nonzero stretch of row kk and of column kk is visited: the skipped
    # terms are zero products (the same sums as over the whole band, term for term).
    out_sum = np.zeros(size)
    row_k = np.empty(width)
    for kk in range(size - 1, 0, -1):
        lo = max(0, kk - bw)
        s_out = 0.0
        j_lo = kk
        j_hi = lo
        for j in range(lo, kk):
            pkj = band[kk, j - kk + bw]
            s_out += pkj
            if pkj != 0.0:
                j_lo = min(j_lo, j)
                j_hi = j + 1
        out_sum[kk] = s_out
        if s_out <= 0.0:
            continue
        i_lo = lo
        while i_lo < kk and band[i_lo, kk - i_lo + bw] == 0.0:
            i_lo += 1
        width_k = j_hi - j_lo
        for j in range(width_k):
            row_k[j] = band[kk, j_lo + j - kk + bw]
        for i in range(i_lo, kk):
            pik = band[i, kk - i + bw]
            if pik == 0.0:
                continue
            f = pik / s_out
            if math.isinf(f):  # 0 x inf: keep the zero entries untouched
                for j in range(j_lo, j_hi):
                    pkj = row_k[j - j_lo]
                    if j != i and pkj != 0.0:
                        band[i, j - i + bw] += f * pkj
                continue
            # adding f x 0 = +0 leaves an entry as it is, and the diagonal (j == i) is never
            # read: the plain loop gives the same entries as skipping those terms
            row_i = band[i, j_lo - i + bw : j_hi - i + bw]
            for j in range(width_k):
                row_i[j] += f * row_k[j]
    pi = np.zeros(size)
    pi[0] = 1.0
    for kk in range(1, size):
        lo = max(0, kk - bw)
        acc = 0.0
        for i in range(lo, kk):
            acc += pi[i] * band[i, kk - i + bw]
        pi[kk] = acc / out_sum[kk] if out_sum[kk] > 0.0 else 0.0
        if pi[kk] > 1e250:  # keep the weights finite: only ratios matter
            for i in range(kk + 1):
                pi[i] *= 1e-250
    pf = pi[f_idx]
    r_sum = 0.0
    chats = 0.0
    for i in range(size):
        if i != f_idx:
            r_sum += pi[i]
            chats += pi[i] * m[i]
    mean_below = chats / r_sum if r_sum > 0.0 else 0.0
    return r_sum / pf, mean_below, size


@numba.njit(cache=True, error_model="numpy")
def _log_tail(slots: int, lam: float, aht: float, patience: float) -> float:
    """log T, T = sum_{q >= 0} pi(F, q) / pi(F) = sum_q prod_{i <= q} lam / (N / aht + i / p);
    inf when the queue is unstable (Erlang C with load >= slots)."""
    mu_n = slots / aht
    if not math.isfinite(patience):
        if lam >= mu_n:
            return math.inf
        return -math.log1p(-lam / mu_n)
    theta = 1.0 / patience
    log_term = 0.0
    mx = 0.0
    acc = 1.0
    q = 0
    while q < 100_000_000:
        q += 1
        log_term += math.log(lam / (mu_n + q * theta))
        if log_term > mx:
            acc = acc * math.exp(mx - log_term) + 1.0
            mx = log_term
        else:
            acc += math.exp(log_term - mx)
            if log_term - mx < -40.0:
                break
    return mx + math.log(acc)


@numba.njit(cache=True, error_model="numpy")
def chat_point(
    n: int,
    lam: float,
    aht: float,
    k: int,
    s: float,
    patience: float,
    within: float,
    out: np.ndarray,
) -> float:
    """Measures of the stretched chat chain at ``n`` agents into ``out`` (``_kernels`` slots:
    WAIT, SERVICE, ASA, ABANDON, OCCUPANCY); returns the mean chat duration (s) it implies
    (chats in service / chats carried per second). ``lam`` in contacts per second,
    ``aht``, ``patience`` and ``within`` in seconds."""
    return chat_point_on(chain_structure(n, k), n, lam, aht, k, s, patience, within, out)


@numba.njit(cache=True, error_model="numpy")
def chat_point_on(
    chain,
    n: int,
    lam: float,
    aht: float,
    k: int,
    s: float,
    patience: float,
    within: float,
    out: np.ndarray,
) -> float:
    """:func:`chat_point` on ``chain = chain_structure(n, k)``, built once for several rates."""
    slots = n * k
    load = lam * aht
    m = np.empty(5)
    _reference(float(slots), load, aht, patience, within, True, m)
    if lam <= 0.0:
        for i in range(5):
            out[i] = m[i]
        return aht
    pw_r = m[WAIT]
    if slots == 0:
        for i in range(5):
            out[i] = m[i]
        return aht
    r_s, mean_below, _size = _censored(chain, k, s, lam, aht)
    log_t = _log_tail(slots, lam, aht, patience)
    if pw_r >= 1.0 or log_t == math.inf:
        pw = 1.0
    elif r_s == math.inf:
        pw = 0.0
    else:
        # P(wait) = T / (R + T), from logs (T may be astronomically large)
        pw = 1.0 / (1.0 + math.exp(math.log(r_s) - log_t)) if r_s > 0.0 else 1.0
    scale = pw / pw_r if pw_r > 0.0 else 0.0
    sl = 1.0 - pw + scale * (m[SERVICE] - (1.0 - pw_r))
    ab = scale * m[ABANDON]
    wait = scale * m[ASA] * (1.0 - m[ABANDON]) / (1.0 - ab) if pw > 0.0 else 0.0
    in_service = (1.0 - pw) * mean_below + pw * slots
    carried = lam * (1.0 - ab)
    out[WAIT] = min(max(pw, 0.0), 1.0)
    out[SERVICE] = min(max(sl, 0.0), 1.0)
    out[ASA] = wait
    out[ABANDON] = min(max(ab, 0.0), 1.0)
    out[OCCUPANCY] = min(max(in_service / slots, 0.0), 1.0)
    return in_service / carried if carried > 0.0 else aht
