"""Slow, obviously-correct references for the queueing kernels (mpmath, 50 digits).

Two independent routes are kept on purpose:

* **Birth-death sums** straight from the Markov chain (Erlang B/C/A), with the
  per-customer wait distribution of Erlang A taken from competing exponential
  clocks. They use no incomplete gamma functions at all and are used for small
  systems (up to a few hundred agents).
* **Closed forms** with mpmath's incomplete gamma (Erlang B as a Poisson ratio;
  Erlang A by the Palm / Mandelbaum-Zeltyn formulas), used for large systems
  where the sums would need tens of thousands of terms. The tests check that
  both routes agree where both are cheap.

Also here: the generator of the Temme expansion coefficients that
``channelopt.queueing._temme_table`` stores, so a test can recompute them.
"""

from __future__ import annotations

import functools

import mpmath as mp

DPS = 50


def _mpf(v: float) -> mp.mpf:
    return mp.mpf(v)


# --------------------------------------------------------------------------- Erlang B / C
@functools.lru_cache(maxsize=4096)
def erlang_b_sum(n: int, a: float) -> mp.mpf:
    """Erlang B by the defining sum B = (a^n/n!) / sum_k a^k/k! (exact in mpmath)."""
    with mp.workdps(DPS):
        a = _mpf(a)
        term = mp.mpf(1)
        total = mp.mpf(1)
        for k in range(1, n + 1):
            term = term * a / k
            total += term
        return +(term / total)


@functools.lru_cache(maxsize=4096)
def erlang_b_closed(n: int, a: float) -> mp.mpf:
    """Erlang B = Poisson pmf(n; a) / cdf(n; a), cdf by the regularised upper gamma."""
    with mp.workdps(DPS):
        a = _mpf(a)
        logpmf = -a + n * mp.log(a) - mp.loggamma(n + 1)
        cdf = mp.gammainc(n + 1, a, mp.inf, regularized=True)
        return +(mp.exp(logpmf) / cdf)


def erlang_b(n: int, a: float) -> mp.mpf:
    if a == 0:
        return mp.mpf(0)
    if n == 0:
        return mp.mpf(1)
    return erlang_b_sum(n, a) if n <= 400 else erlang_b_closed(n, a)


def erlang_c(n: int, a: float) -> mp.mpf:
    """P(wait > 0) in M/M/n: n B / (n - a (1 - B)); 1 when a >= n."""
    if a == 0:
        return mp.mpf(0)
    if a >= n:
        return mp.mpf(1)
    with mp.workdps(DPS):
        b = erlang_b(n, a)
        a = _mpf(a)
        return +(n * b / (n - a * (1 - b)))


def erlang_c_measures(n: int, a: float, aht: float, target: float) -> dict[str, mp.mpf]:
    """Erlang C: wait probability, service level, ASA, abandonment, occupancy."""
    with mp.workdps(DPS):
        if a == 0:
            return dict(wait=mp.mpf(0), sl=mp.mpf(1), asa=mp.mpf(0), ab=mp.mpf(0), occ=mp.mpf(0))
        if a >= n:
            return dict(wait=mp.mpf(1), sl=mp.mpf(0), asa=mp.inf, ab=mp.mpf(0), occ=mp.mpf(1))
        c = erlang_c(n, a)
        a_, h, t = _mpf(a), _mpf(aht), _mpf(target)
        sl = 1 - c * mp.exp(-(n - a_) * t / h)
        asa = c * h / (n - a_)
        return dict(wait=c, sl=sl, asa=asa, ab=mp.mpf(0), occ=a_ / n)


# --------------------------------------------------------------------------- Erlang A
@functools.lru_cache(maxsize=256)
def erlang_a_birth_death(
    n: int, a: float, aht: float, patience: float, target: float
) -> dict[str, mp.mpf]:
    """Erlang A (M/M/n+M) from the birth-death chain, no special functions.

    State k = number in system. Rates: arrivals lambda, departures
    min(k, n) mu + max(k - n, 0) gamma. An arrival that finds j waiting ahead
    (k = n + j) is served iff its own exp(gamma) patience outlasts j + 1
    "advance" events, each occurring at total rate n mu + (i + 1) gamma with
    i + 1 people in the queue counting itself; by competing exponentials the
    event times are independent of which clock rang, so

    P(served) = prod_i q_i,  q_i = (n mu + i gamma) / (n mu + (i + 1) gamma)
    P(served within t) = prod_i q_i * P(sum_i Exp(r_i) <= t)
    E[W; served] = prod_i q_i * sum_i 1 / r_i,   r_i = n mu + (i + 1) gamma.

    The hypoexponential cdf uses its explicit partial-fraction form, which is
    fine at a working precision well above the cancellation it suffers.
    """
    with mp.workdps(DPS + 60):
        lam = _mpf(a) / _mpf(aht)
        mu = 1 / _mpf(aht)
        gam = 1 / _mpf(patience)
        t = _mpf(target)
        # unnormalised probabilities
        probs = [mp.mpf(1)]
        for k in range(1, n + 1):
            probs.append(probs[-1] * lam / (k * mu))
        j = 0
        peak = probs[-1]
        while True:
            j += 1
            nxt = probs[-1] * lam / (n * mu + j * gam)
            probs.append(nxt)
            peak = max(peak, nxt)
            if nxt < peak * mp.mpf(10) ** (-(DPS + 5)) and j > 5:
                break
        total = mp.fsum(probs)
        p = [q / total for q in probs]
        p_wait = mp.mpf(1) if n == 0 else mp.fsum(p[n:])
        served = mp.fsum(p[:n])
        within = mp.fsum(p[:n])
        wait_served = mp.mpf(0)
        eq = mp.mpf(0)
        for jj in range(len(p) - n):
            pk = p[n + jj]
            eq += jj * pk
            rates = [n * mu + (i + 1) * gam for i in range(jj + 1)]
            qprod = mp.fprod([(n * mu + i * gam) / rates[i] for i in range(jj + 1)])
            if n == 0:
                continue
            served += pk * qprod
            wait_served += pk * qprod * mp.fsum([1 / r for r in rates])
            # hypoexponential cdf with distinct rates r_i
            tail = mp.mpf(0)
            for i, ri in enumerate(rates):
                coef = mp.fprod([rk / (rk - ri) for k, rk in enumerate(rates) if k != i])
                tail += coef * mp.exp(-ri * t)
            within += pk * qprod * (1 - tail)
        ab = gam * eq / lam
        out = dict(
            wait=p_wait,
            sl=within,
            ab=ab,
            served=served,
            asa=(wait_served / served) if served > 0 else mp.inf,
            occ=(lam * (1 - ab) / (n * mu)) if n > 0 else mp.mpf(1),
        )
        return {k: +v for k, v in out.items()}


@functools.lru_cache(maxsize=256)
def erlang_a_closed(
    n: int, a: float, aht: float, patience: float, target: float
) -> dict[str, mp.mpf]:
    """Erlang A by the incomplete-gamma closed forms (Palm; Mandelbaum and Zeltyn).

    With x = n mu / gamma, y = lambda / gamma, rho = a / n, B = Erlang B(n, a):
    J = x e^y y^-x gamma(x, y) = sum_j y^j / ((x+1)...(x+j)),
    p_n = B / (1 + (J - 1) B), P(wait) = J p_n,
    P(ab) = p_n (J + (1 - J) / rho),
    P(served after waiting at most t) = p_n x int_0^{gamma t} exp(-(x+1) s + y (1 - e^-s)) ds,
    E[W; served] = p_n (x / gamma) int_0^1 (-ln u) u^x e^{y (1 - u)} du.
    Computed at high precision, so the cancellations of these forms do not matter.
    """
    with mp.workdps(DPS + 40):
        a_, h, th, t = _mpf(a), _mpf(aht), _mpf(patience), _mpf(target)
        mu, gam, lam = 1 / h, 1 / th, a_ / h
        x = n * mu / gam
        y = lam / gam
        b = erlang_b(n, a)
        logd = -y + x * mp.log(y) - mp.loggamma(x + 1)
        try:
            if y > x:  # P near 1: the upper tail converges where the lower series struggles
                lower = 1 - mp.gammainc(x, y, mp.inf, regularized=True)
            else:
                lower = mp.gammainc(x, 0, y, regularized=True)
            J = lower / mp.exp(logd)
        except mp.libmp.NoConvergence:
            # J = x int_0^inf exp(-x s + y (1 - e^-s)) ds, peak at s = log(y / x)
            peak = mp.log(y / x) if y > x else mp.mpf(0)
            pts = [mp.mpf(0), peak, mp.inf] if peak > 0 else [mp.mpf(0), mp.inf]
            J = x * mp.quad(lambda s: mp.exp(-x * s - y * mp.expm1(-s)), pts)
        pn = b / (1 + (J - 1) * b)
        rho = a_ / n
        ab = pn * (J + (1 - J) / rho)
        # Served after waiting at most t, relative to p_n: the integral of the
        # offered-wait density over [0, t] (quadrature avoids the cancellation of
        # P(x+1, y) - P(x+1, y e^{-gamma t}) when the service level is tiny).
        c = gam * t
        peak = mp.log(y / (x + 1)) if y > x + 1 else mp.mpf(0)
        pts = [mp.mpf(0)] + ([peak] if 0 < peak < c else []) + [c]
        k_int = x * mp.quad(lambda s: mp.exp(-(x + 1) * s - y * mp.expm1(-s)), pts)
        sl = pn * ((1 / b - 1) + k_int)
        served = 1 - ab
        integral = mp.quad(
            lambda v: -mp.log(v) * v**x * mp.exp(y * (1 - v)), [0, x / y if y > x else 1, 1]
        )
        wait_served = pn * (x / gam) * integral
        out = dict(
            wait=J * pn,
            sl=sl,
            ab=ab,
            served=served,
            asa=wait_served / served,
            occ=lam * (1 - ab) / (n * mu),
        )
        return {k: +v for k, v in out.items()}


# --------------------------------------------------------------------------- finite systems
def _hypoexp_tail(rates: list, t: mp.mpf) -> mp.mpf:
    """P(sum_i Exp(rates_i) > t) for distinct rates, by partial fractions.

    The coefficients alternate and grow like (max rate / min gap)^len: the caller
    raises the working precision enough to absorb the cancellation."""
    tail = mp.mpf(0)
    for i, ri in enumerate(rates):
        coef = mp.fprod([rk / (rk - ri) for k, rk in enumerate(rates) if k != i])
        tail += coef * mp.exp(-ri * t)
    return tail


def finite_birth_death(
    n: int,
    a: float,
    aht: float,
    patience: float,
    target: float,
    capacity: float,
) -> dict[str, mp.mpf]:
    """M/M/n/N(+M) measures from the birth-death chain, no special functions but
    the Erlang (Poisson) cdf when patience is infinite.

    ``capacity`` N = contacts in the system at most (inf: no limit; needs finite
    patience or a < n). Per-position laws by competing exponential clocks as in
    :func:`erlang_a_birth_death` (an arrival at position j advances through
    stages of total rate n mu + i gamma, i = j..1); the time to service without
    its own patience, needed for "still waiting at t", is a sum of exponentials
    of rates n mu + (i - 1) gamma. Everything over ALL arrivals; ``early`` is
    the fraction of arrivals that abandon before ``target``.
    """
    with mp.workdps(DPS + 20):
        lam = _mpf(a) / _mpf(aht)
        mu = 1 / _mpf(aht)
        gam = mp.mpf(0) if patience == float("inf") else 1 / _mpf(patience)
        t = _mpf(target)
        n_eff = int(min(n, capacity))
        probs = [mp.mpf(1)]
        k = 0
        peak = mp.mpf(1)
        while k < capacity:
            k += 1
            rate = min(k, n_eff) * mu + max(k - n_eff, 0) * gam
            if rate == 0:
                raise ValueError("reference: no departures and no capacity limit")
            nxt = probs[-1] * lam / rate
            probs.append(nxt)
            peak = max(peak, nxt)
            if capacity == float("inf") and k > n_eff and nxt < peak * mp.mpf(10) ** (-(DPS + 5)):
                break
        total = mp.fsum(probs)
        p = [q / total for q in probs]
        last = len(p) - 1
        block = p[last] if capacity != float("inf") else mp.mpf(0)
        imm = mp.fsum(p[:n_eff])
        wait = served_q = within_q = still = ab = early = wsum = mp.mpf(0)
        negligible = mp.mpf(10) ** (-(DPS - 5))
        for k in range(n_eff, last if capacity != float("inf") else last + 1):
            j = k - n_eff + 1
            pk = p[k]
            wait += pk
            if pk < negligible:
                continue
            stage = [n_eff * mu + i * gam for i in range(1, j + 1)]
            if gam > 0:
                prod = mp.fprod(
                    [(n_eff * mu + (i - 1) * gam) / stage[i - 1] for i in range(1, j + 1)]
                )
            else:
                prod = mp.mpf(1)
            served_q += pk * prod
            ab += pk * (1 - prod)
            wsum += pk * prod * mp.fsum([1 / r for r in stage])
            if gam > 0:
                extra = int(j * mp.log10(stage[-1] / gam + 2)) + 10
                with mp.workdps(DPS + 20 + extra):
                    w_tail = _hypoexp_tail(stage, t) if t > 0 else mp.mpf(1)
                    own = [n_eff * mu + (i - 1) * gam for i in range(1, j + 1)]
                    if own[0] == 0:
                        s_tail = mp.mpf(1)  # nobody is ever served
                    else:
                        s_tail = _hypoexp_tail(own, t) if t > 0 else mp.mpf(1)
                    wt = pk * prod * (1 - w_tail)
                    st = pk * mp.exp(-gam * t) * s_tail
            else:
                cdf = mp.gammainc(j, 0, n_eff * mu * t, regularized=True) if t > 0 else mp.mpf(0)
                wt = pk * cdf
                st = pk * (1 - cdf)
            within_q += wt
            still += st
            early += pk - wt - st
        served = imm + served_q
        within = imm + within_q
        occ = mp.fsum([pk * min(k, n_eff) for k, pk in enumerate(p)]) / n_eff if n_eff else 1
        out = dict(
            block=block,
            wait=wait,
            within=within,
            served=served,
            ab=ab,
            early=early,
            asa=(wsum * _mpf(1) / served) if served > 0 else mp.inf,
            occ=occ,
            sl_all=within,
            sl_answered=within / served if served > 0 else mp.mpf(0),
            sl_late=within / (1 - block - early),
        )
        return {k: +v for k, v in out.items()}


# --------------------------------------------------------------------------- Temme coefficients
def _ser_mul(a: list, b: list, n: int) -> list:
    out = [mp.mpf(0)] * n
    for i, ai in enumerate(a[:n]):
        if ai == 0:
            continue
        for j in range(min(len(b), n - i)):
            out[i + j] += ai * b[j]
    return out


def _ser_inv(a: list, n: int) -> list:
    out = [mp.mpf(0)] * n
    out[0] = 1 / a[0]
    for k in range(1, n):
        s = mp.fsum(a[j] * out[k - j] for j in range(1, min(k, len(a) - 1) + 1))
        out[k] = -s / a[0]
    return out


def _ser_sqrt(a: list, n: int) -> list:
    out = [mp.mpf(0)] * n
    out[0] = mp.sqrt(a[0])
    for k in range(1, n):
        s = mp.fsum(out[j] * out[k - j] for j in range(1, k))
        out[k] = (a[k] - s) / (2 * out[0])
    return out


def stirling_gstar_coefficients(count: int) -> list:
    """g_k with Gamma*(z) ~ sum_k g_k z^-k (DLMF 5.11.3), from the Stirling series."""
    with mp.workdps(DPS + 30):
        # log Gamma*(z) = sum_m B_2m / (2m (2m - 1)) z^(1 - 2m)
        logs = [mp.mpf(0)] * count
        for m in range(1, count):
            p = 2 * m - 1
            if p < count:
                logs[p] = mp.bernoulli(2 * m) / (2 * m * (2 * m - 1))
        # exp of a series with zero constant term: g' = (log)' g
        g = [mp.mpf(0)] * count
        g[0] = mp.mpf(1)
        for k in range(1, count):
            g[k] = mp.fsum(j * logs[j] * g[k - j] for j in range(1, k + 1)) / k
        return g


def temme_coefficients(terms: int, degree: int) -> list[list[float]]:
    """Taylor coefficients of Temme's c_k(eta), k < terms, up to eta**degree.

    DLMF 8.12: with lambda = x / s and eta = sign(lambda - 1) sqrt(2 (lambda - 1 - ln lambda)),
    c_0 = 1 / (lambda - 1) - 1 / eta and c_k = c'_{k-1} / eta + (-1)^k g_k / (lambda - 1).
    lambda - 1 = mu(eta) comes from Lagrange inversion of eta = sqrt(2 (mu - ln(1 + mu))).
    """
    n = degree + 2 * terms + 6
    with mp.workdps(DPS + 40):
        # h(mu) = 2 (mu - ln(1 + mu)) / mu^2 = sum_m 2 (-1)^m mu^m / (m + 2)
        h = [mp.mpf(2) * (-1) ** m / (m + 2) for m in range(n + 1)]
        phi = _ser_inv(_ser_sqrt(h, n + 1), n + 1)  # mu = eta * phi(mu)
        # Lagrange: [eta^m] mu = (1/m) [mu^(m-1)] phi^m
        mu = [mp.mpf(0)] * (n + 1)
        power = [mp.mpf(1)] + [mp.mpf(0)] * n
        for m in range(1, n + 1):
            power = _ser_mul(power, phi, n + 1)
            mu[m] = power[m - 1] / m
        # R = eta / mu as a power series (1/mu = R / eta)
        r = _ser_inv(mu[1:], n)
        g = stirling_gstar_coefficients(terms + 1)
        c = [rk for rk in r[1:]]  # c_0 = (R - 1) / eta
        out = [c[: degree + 1]]
        for k in range(1, terms):
            sign = (-1) ** k
            pole = c[1] + sign * g[k] * r[0]
            assert abs(pole) < mp.mpf(10) ** (-(DPS // 2)), pole
            new = []
            for m in range(len(c) - 2):
                new.append((m + 2) * c[m + 2] + sign * g[k] * r[m + 1])
            c = new
            out.append(c[: degree + 1])
        return [[float(v) for v in row] for row in out]
