"""Private Numba kernels: finite systems (M/M/n/N, M/M/n/N+M) and Erlang X.

A single birth-death chain covers every case: state ``k`` = contacts in the
system (in service + waiting), arrivals at rate lambda while ``k < N``,
departures at ``min(k, n) mu + max(k - n, 0) theta`` (service rate mu = 1/h,
abandonment rate theta = 1/p, 0 when patience is infinite). ``N`` is the
system capacity: ``min(lines, n + queue_capacity)``; inf when both are absent.

Stationary weights are formed as products of the ratios pi_k / pi_{k-1},
outwards from the mode, in linear space relative to the mode (no powers of the
load, no factorials): each weight carries a few ulps of relative error per step
and none of the catastrophic growth of a sum of logarithms. Weights below
``_NEGLIGIBLE`` of the mode are dropped on the side away from where measures are
read, so probabilities below ~1e-30 are accurate in absolute terms only.

Waiting times, by PASTA and FCFS. An arrival finding ``k = n + j - 1`` contacts
(``1 <= j``, ``k < N``) waits at position ``j``. While it waits, the queue ahead
shrinks at rate ``n mu + i theta`` (``i`` contacts ahead), and it abandons at
rate theta, so it sits in stages of total rate ``n mu + i theta`` for
``i = j, ..., 1``; whether each stage ends by progress or by its own abandonment
is independent of the stage length. Hence, with ``b = n mu / theta``:

* P(served | j) = prod_i (n mu + (i - 1) theta) / (n mu + i theta) = b / (b + j);
* its wait given served is a sum of exponentials of rates theta (b + i),
  i = 1..j: the j-th order statistic of b + j exponentials of rate theta, so
  P(W <= t | served, j) = P(Bin(b + j, q) >= j) = I_q(j, b + 1), q = 1 - e^{-theta t},
  which is the upper tail P(K >= j) of a negative binomial K with size b + 1 and
  success probability q (exact for real b by analytic continuation);
* the time to service ignoring its own patience has rates theta (b - 1 + i), so
  P(still waiting at t | j) = e^{-theta t} P(K' < j), K' negative binomial with
  size b; with theta = 0 both laws are Poisson(n mu t) (Erlang-distributed
  waits).

The negative-binomial pmfs are built by the same ratio products, started from
their log at 0 accumulated with compensated summation.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._kernels import erlang_b_pair

_INF = math.inf
_NEGLIGIBLE = 1e-32  # weights dropped below this fraction of the mode's
_MAX_STATES = 50_000_000  # hard cap on the chain length (memory)

# Output slots of finite_point (all over ALL arrivals unless said otherwise).
BLOCK, WAIT, SERVICE, ASA, ABANDON, OCCUPANCY, ANSWERED, WITHIN, EARLY_ABANDON = range(9)
N_OUT = 9
# sl_definition codes
SL_ALL, SL_ANSWERED, SL_LATE_ABANDONS = 0, 1, 2


@numba.njit(cache=True, error_model="numpy")
def _ratio(k: float, n: float, a: float, r: float) -> float:
    """pi_k / pi_{k-1} in units of the mean handle time (mu = 1, theta = r)."""
    if k <= n:
        return a / k
    return a / (n + (k - n) * r)


@numba.njit(cache=True, error_model="numpy")
def _weights(n: float, a: float, r: float, cap: float) -> tuple[float, np.ndarray]:
    """Unnormalised stationary weights w[k - lo] for k = lo..hi; returns (lo, w).

    The mode has weight 1. Downwards stops below _NEGLIGIBLE; upwards stops at
    ``cap`` (N) or, past the mode and past ``n``, below _NEGLIGIBLE too.
    """
    # mode: the last k whose ratio is >= 1
    if a <= n:
        m = math.floor(a)
    elif r > 0.0:
        m = n + math.floor((a - n) / r)
    else:
        m = cap
    m = min(max(m, 0.0), cap)
    if not math.isfinite(m):
        m = float(_MAX_STATES)
    # downwards
    w = 1.0
    k = m
    while k > 0.0:
        w *= 1.0 / _ratio(k, n, a, r)
        k -= 1.0
        if w < _NEGLIGIBLE:
            break
    lo = k
    # upwards: count first
    w = 1.0
    k = m
    while k < cap and k - m < _MAX_STATES:
        w *= _ratio(k + 1.0, n, a, r)
        k += 1.0
        if k > n and w < _NEGLIGIBLE:
            break
    hi = k
    size = int(hi - lo) + 1
    out = np.empty(size)
    im = int(m - lo)
    out[im] = 1.0
    for i in range(im - 1, -1, -1):
        out[i] = out[i + 1] / _ratio(lo + i + 1.0, n, a, r)
    for i in range(im + 1, size):
        out[i] = out[i - 1] * _ratio(lo + i, n, a, r)
    return lo, out


@numba.njit(cache=True, error_model="numpy")
def _nb_pmf(size0: float, qr: float, q: float, log_p0: float, kmax: int) -> np.ndarray:
    """pmf_k, k = 0..kmax, of the law with pmf_0 = exp(log_p0) and ratios
    pmf_k / pmf_{k-1} = (q (k - 1) + size0 qr) / k  (negative binomial with
    size ``size0 / r`` and success q, written so that r -> 0 gives Poisson(size0 qr)).

    Logs are accumulated with Kahan summation from k = 0 so that nothing
    underflows before it should.
    """
    out = np.empty(kmax + 1)
    s = log_p0
    c = 0.0
    out[0] = math.exp(s)
    for k in range(1, kmax + 1):
        term = math.log((q * (k - 1.0) + size0 * qr) / k)
        y = term - c
        t = s + y
        c = (t - s) - y
        s = t
        out[k] = math.exp(s)
    return out


@numba.njit(cache=True, error_model="numpy")
def _tails(pmf: np.ndarray, jmax: int, complete: bool) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) with lower[j] = sum_{k<j} pmf_k and upper[j] = sum_{k>=j} pmf_k,
    j = 0..jmax, each summed from its small end. When ``pmf`` covers the whole law
    (``complete``) both are rescaled by its total; otherwise upper = 1 - lower."""
    kmax = pmf.shape[0] - 1
    lower = np.empty(jmax + 1)
    upper = np.empty(jmax + 1)
    acc = 0.0
    for j in range(jmax + 1):
        lower[j] = acc
        if j <= kmax:
            acc += pmf[j]
    if not complete:
        for j in range(jmax + 1):
            upper[j] = 1.0 - lower[j]
        return lower, upper
    acc = 0.0
    for k in range(kmax, jmax, -1):
        acc += pmf[k]
    for j in range(jmax, -1, -1):
        if j <= kmax:
            acc += pmf[j]
        upper[j] = acc
    total = upper[0]
    if total > 0.0:
        for j in range(jmax + 1):
            lower[j] /= total
            upper[j] /= total
    return lower, upper


@numba.njit(cache=True, error_model="numpy")
def _law_tails(
    n: float, r: float, tt: float, extra: float, jmax: int
) -> tuple[np.ndarray, np.ndarray]:
    """Tails of the negative binomial of size (n + extra)/r (Poisson(n tt) when r = 0)
    with q = 1 - exp(-r tt), over j = 0..jmax. ``extra`` is r (served-within law)
    or 0 (still-waiting law)."""
    if r > 0.0:
        q = -math.expm1(-r * tt)
        qr = q / r
    else:
        q = 0.0
        qr = tt
    size0 = n + extra
    if q < 1.0:
        mean = size0 * qr / (1.0 - q)
        sd = math.sqrt(mean / (1.0 - q))
    else:
        mean = _INF
        sd = _INF
    if mean - 20.0 * sd > jmax:
        kmax = jmax  # the law lies far above every position: lower tails suffice
        complete = False
    else:
        want = max(float(jmax), mean + 20.0 * sd + 50.0)
        complete = want <= jmax + 2_000_000.0
        kmax = int(min(want, jmax + 2_000_000.0))
    log_p0 = -size0 * tt  # (1 - q)^(size0 / r) = exp(-size0 tt)
    pmf = _nb_pmf(size0, qr, q, log_p0, kmax)
    return _tails(pmf, jmax, complete)


@numba.njit(cache=True)
def new_tails_memo(jmax: int) -> tuple[np.ndarray, np.ndarray]:
    """An empty memo for :func:`finite_point_memo`: positions up to ``jmax`` are kept."""
    return np.full(4, np.nan), np.empty((2, jmax + 1))


@numba.njit(cache=True, error_model="numpy")
def _tails_for(
    n: float, r: float, tt: float, jmax: int, key: np.ndarray, tails: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(P(K >= j), P(K' < j)) for j = 0..jmax: the waiting-time laws of finite_point.

    They depend on (n, r, tt, jmax) only, not on the load: a caller that solves
    one agent count at several loads (a retrial fixed point) keeps the last ones
    in ``key`` / ``tails`` (:func:`new_tails_memo`) and gets the same values back.
    """
    if tails.shape[1] > jmax and key[0] == n and key[1] == r and key[2] == tt and key[3] == jmax:
        return tails[0, : jmax + 1].copy(), tails[1, : jmax + 1].copy()
    _lo1, served_tail = _law_tails(n, r, tt, r, jmax)  # P(K >= j)
    still_lo, _up0 = _law_tails(n, r, tt, 0.0, jmax)  # P(K' < j)
    if tails.shape[1] > jmax:
        for j in range(jmax + 1):
            tails[0, j] = served_tail[j]
            tails[1, j] = still_lo[j]
        key[0] = n
        key[1] = r
        key[2] = tt
        key[3] = jmax
    return served_tail, still_lo


@numba.njit(cache=True, error_model="numpy")
def finite_point(
    n: float,
    a: float,
    h: float,
    p: float,
    t: float,
    lines: float,
    qcap: float,
    sl_def: int,
    out: np.ndarray,
) -> None:
    """Every measure of M/M/n/N(+M) at integer n >= 0, N = min(lines, n + qcap) (inf: none).

    ``a`` offered load (Erlangs), ``h`` aht (s), ``p`` patience (s, inf: none),
    ``t`` service-level threshold (s, may be inf). Writes out[0..N_OUT).
    """
    # an empty memo keeps nothing (never read: tails.shape[1] == 0)
    finite_point_memo(n, a, h, p, t, lines, qcap, sl_def, out, np.empty(0), np.empty((2, 0)))


@numba.njit(cache=True, error_model="numpy")
def finite_point_memo(
    n: float,
    a: float,
    h: float,
    p: float,
    t: float,
    lines: float,
    qcap: float,
    sl_def: int,
    out: np.ndarray,
    key: np.ndarray,
    tails: np.ndarray,
) -> None:
    """:func:`finite_point` keeping its load-free waiting-time laws in ``key`` / ``tails``
    (:func:`new_tails_memo`; an empty ``tails`` keeps nothing). Same values."""
    for i in range(N_OUT):
        out[i] = 0.0
    if a == 0.0:
        out[SERVICE] = 1.0
        out[ANSWERED] = 1.0
        out[WITHIN] = 1.0
        return
    r = h / p if math.isfinite(p) else 0.0
    cap = min(lines, n + qcap)
    if n > cap:
        n = cap  # more agents than lines: the extra agents can never be reached
    if n == 0.0 and r == 0.0:
        # nobody is ever served and nobody leaves: the lines fill and stay full
        out[BLOCK] = 1.0 if math.isfinite(cap) or cap == 0.0 else 0.0
        out[WAIT] = 1.0 - out[BLOCK]
        out[ASA] = _INF
        out[OCCUPANCY] = 1.0
        return
    if not math.isfinite(cap) and r == 0.0:
        # Erlang C: stable only for a < n (closed forms, as the Erlang C kernel)
        if a >= n:
            out[WAIT] = 1.0
            out[ASA] = _INF
            out[OCCUPANCY] = 1.0
            return
        _b, u = erlang_b_pair(n, a)
        x = (1.0 - a / n) * u
        c = 1.0 / (1.0 + x)
        no_wait = 1.0 / (1.0 + 1.0 / x)
        out[WAIT] = c
        within = 1.0 if math.isinf(t) else min(1.0, no_wait + c * -math.expm1(-(n - a) * t / h))
        out[SERVICE] = within
        out[WITHIN] = within
        out[ANSWERED] = 1.0
        out[ASA] = c * h / (n - a)
        out[OCCUPANCY] = a / n
        return
    lo, w = _weights(n, a, r, cap)
    hi = lo + w.shape[0] - 1
    total = 0.0
    for i in range(w.shape[0]):
        total += w[i]
    # positions j = 1..jmax for states k = n .. min(hi, cap - 1)
    k_last = min(hi, cap - 1.0)
    jmax = int(k_last - n + 1.0) if k_last >= n else 0
    tt = t / h
    if jmax > 0 and math.isfinite(tt) and tt > 0.0:
        served_tail, still_lo = _tails_for(n, r, tt, jmax, key, tails)
    else:
        served_tail = np.empty(0)
        still_lo = np.empty(0)
    imm = 0.0
    occ = 0.0
    for i in range(w.shape[0]):
        k = lo + i
        if k < n:
            imm += w[i]
            occ += w[i] * k
        else:
            occ += w[i] * n
    wait = 0.0
    served_q = 0.0
    ab_q = 0.0
    within_q = 0.0
    still = 0.0
    asa_num = 0.0
    harm = 0.0
    decay = math.exp(-r * tt) if math.isfinite(tt) else 0.0
    for j in range(1, jmax + 1):
        i = int(n + j - 1 - lo)
        harm += 1.0 / (n + j * r)
        if i < 0:
            continue
        pk = w[i]
        sj = n / (n + j * r)
        wait += pk
        served_q += pk * sj
        ab_q += pk * (j * r / (n + j * r))
        asa_num += pk * sj * harm
        if math.isinf(tt):
            within_q += pk * sj
        elif tt > 0.0:
            within_q += pk * sj * served_tail[j]
            still += pk * decay * still_lo[j]
        else:
            still += pk
    block = w[w.shape[0] - 1] if hi >= cap else 0.0
    out[BLOCK] = block / total
    out[WAIT] = wait / total
    answered = (imm + served_q) / total
    out[ANSWERED] = answered
    out[ABANDON] = ab_q / total
    within = (imm + within_q) / total
    out[WITHIN] = within
    early = (wait - within_q - still) / total  # waited, not served within t, not waiting at t
    out[EARLY_ABANDON] = min(max(early, 0.0), out[ABANDON])
    out[OCCUPANCY] = occ / (n * total) if n > 0.0 else 1.0
    if answered > 0.0:
        out[ASA] = h * asa_num / total / answered
    else:
        out[ASA] = _INF
    if sl_def == SL_ANSWERED:
        out[SERVICE] = within / answered if answered > 0.0 else 0.0
    elif sl_def == SL_LATE_ABANDONS:
        den = 1.0 - out[BLOCK] - out[EARLY_ABANDON]
        out[SERVICE] = within / den if den > 0.0 else 0.0
    else:
        out[SERVICE] = within
    for j in (BLOCK, WAIT, SERVICE, ABANDON, OCCUPANCY, ANSWERED, WITHIN):
        out[j] = min(max(out[j], 0.0), 1.0)


@numba.njit(cache=True, error_model="numpy")
def finite_interp(
    n: float,
    a: float,
    h: float,
    p: float,
    t: float,
    lines: float,
    qcap: float,
    sl_def: int,
    out: np.ndarray,
    tmp: np.ndarray,
) -> None:
    """finite_point at fractional n: linear interpolation between floor(n) and ceil(n)."""
    lo = math.floor(n)
    f = n - lo
    finite_point(lo, a, h, p, t, lines, qcap, sl_def, out)
    if f == 0.0:
        return
    finite_point(lo + 1.0, a, h, p, t, lines, qcap, sl_def, tmp)
    for i in range(N_OUT):
        x, y = out[i], tmp[i]
        if math.isinf(x) or math.isinf(y):
            out[i] = _INF  # one end has no answered contacts or is unstable
        else:
            out[i] = (1.0 - f) * x + f * y


@numba.njit(cache=True, error_model="numpy")
def finite_array(
    n: np.ndarray,
    a: np.ndarray,
    h: np.ndarray,
    p: np.ndarray,
    t: np.ndarray,
    lines: np.ndarray,
    qcap: np.ndarray,
    sl_def: int,
    out: np.ndarray,
) -> None:
    """finite_interp over flat arrays (size-1 inputs broadcast); out has shape (m, N_OUT)."""
    m = out.shape[0]
    tmp = np.empty(N_OUT)
    row = np.empty(N_OUT)
    for i in range(m):
        finite_interp(
            n[0 if n.size == 1 else i],
            a[0 if a.size == 1 else i],
            h[0 if h.size == 1 else i],
            p[0 if p.size == 1 else i],
            t[0 if t.size == 1 else i],
            lines[0 if lines.size == 1 else i],
            qcap[0 if qcap.size == 1 else i],
            sl_def,
            row,
            tmp,
        )
        for j in range(N_OUT):
            out[i, j] = row[j]


@numba.njit(cache=True, error_model="numpy")
def erlang_x_point(
    n: float,
    a0: float,
    h: float,
    p: float,
    t: float,
    lines: float,
    qcap: float,
    sl_def: int,
    r_ab: float,
    r_bl: float,
    out: np.ndarray,
    tmp: np.ndarray,
) -> tuple[float, int]:
    """Erlang X: offered load a = a0 + a (r_ab P(abandon) + r_bl P(blocked)) solved by
    fixed-point iteration from a0 (monotone: the measures grow with the load).

    Returns (a, iterations); out holds the measures at that load.
    """
    a = a0
    it = 0
    while True:
        it += 1
        finite_interp(n, a, h, p, t, lines, qcap, sl_def, out, tmp)
        a_new = a0 + a * (r_ab * out[ABANDON] + r_bl * out[BLOCK])
        if abs(a_new - a) <= 1e-13 * a_new or it >= 100_000:
            if a_new != a:
                a = a_new
                finite_interp(n, a, h, p, t, lines, qcap, sl_def, out, tmp)
            return a, it
        a = a_new


@numba.njit(cache=True, error_model="numpy")
def erlang_x_array(
    n: np.ndarray,
    a0: np.ndarray,
    h: np.ndarray,
    p: np.ndarray,
    t: np.ndarray,
    lines: np.ndarray,
    qcap: np.ndarray,
    r_ab: np.ndarray,
    r_bl: np.ndarray,
    sl_def: int,
    out: np.ndarray,
) -> None:
    """erlang_x_point over flat arrays; out (m, N_OUT + 2): measures, offered load, lost."""
    m = out.shape[0]
    tmp = np.empty(N_OUT)
    row = np.empty(N_OUT)
    for i in range(m):
        rab = r_ab[0 if r_ab.size == 1 else i]
        rbl = r_bl[0 if r_bl.size == 1 else i]
        base = a0[0 if a0.size == 1 else i]
        a, _it = erlang_x_point(
            n[0 if n.size == 1 else i],
            base,
            h[0 if h.size == 1 else i],
            p[0 if p.size == 1 else i],
            t[0 if t.size == 1 else i],
            lines[0 if lines.size == 1 else i],
            qcap[0 if qcap.size == 1 else i],
            sl_def,
            rab,
            rbl,
            row,
            tmp,
        )
        for j in range(N_OUT):
            out[i, j] = row[j]
        out[i, N_OUT] = a
        if base > 0.0:
            lost = a * (row[ABANDON] * (1.0 - rab) + row[BLOCK] * (1.0 - rbl)) / base
            out[i, N_OUT + 1] = min(max(lost, 0.0), 1.0)
        else:
            out[i, N_OUT + 1] = 0.0
