#!/usr/bin/env python3
"""Fits the polynomial coefficients of cinn/ir/lower_math_*.cc that are not from Cephes.

Weighted minimax fits by Lawson's algorithm (iteratively reweighted least squares) on
Chebyshev nodes, with mpmath (40 digits) for the exact values. Prints each polynomial's
coefficients, highest degree first (the order of math_detail::horner), rounded to float32,
and the approximation error before that rounding. Run: python3 scripts/fit_math.py
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def nodes(lo, hi, n=3000):
    return 0.5 * (lo + hi) + 0.5 * (hi - lo) * np.cos(np.linspace(0, np.pi, n))


def lawson(x, f, w, powers, iters=300):
    """Coefficients c minimizing max |w * (sum c_k x^p_k - f)|, and that maximum."""
    a = np.stack([x**p for p in powers], axis=1) * w[:, None]
    y = f * w
    lw = np.full(len(x), 1.0 / len(x))
    best = (np.inf, None)
    for _ in range(iters):
        sw = np.sqrt(lw)
        c = np.linalg.lstsq(a * sw[:, None], y * sw, rcond=None)[0]
        err = np.abs(a @ c - y)
        if err.max() < best[0]:
            best = (err.max(), c)
        lw = lw * err
        lw /= lw.sum()
    return best[1], best[0]


def show(name, c, err):
    coeffs = ", ".join(repr(float(np.float32(v))) for v in reversed(c))
    print(f"{name}: max weighted error {err:.3g}\n  {{{coeffs}}}")


def mpf_map(f, xs):
    return np.array([float(f(mp.mpf(float(v)))) for v in xs])


# exp2: 2^r = 1 + r P(r) on |r| <= 1/2, relative error of 2^r.
r = nodes(-0.5, 0.5)
r = r[np.abs(r) > 1e-6]
p_exact = mpf_map(lambda v: (mp.mpf(2) ** v - 1) / v, r)
w = np.abs(r) / mpf_map(lambda v: mp.mpf(2) ** v, r)
show("exp2 P(r), degree 5", *lawson(r, p_exact, w, range(6)))

# erf, |x| <= 0.921875: erf(x) = x + x P(x^2), relative error of erf.
x = nodes(0, 0.921875)
x = x[x > 1e-4]
p_exact = mpf_map(lambda v: mp.erf(v) / v - 1, x)
show("erf P(x^2), degree 6", *lawson(x, p_exact, 1 / (1 + p_exact), [2 * k for k in range(7)]))

# erf, 0.921875 < a <= 4: erf(a) = 1 - e^Q(a), Q ~ log(erfc(a)), error of erf (absolute,
# erf is in [0.8, 1)): erfc(a) * |Q(a) - log(erfc(a))|.
a = nodes(0.921875, 4.0)
q_exact = mpf_map(lambda v: mp.log(mp.erfc(v)), a)
show("erf Q(a), degree 6", *lawson(a, q_exact, mpf_map(mp.erfc, a), range(7)))

# e^r = 1 + r P(r) on |r| <= ln2/2 (plus the rounding of r), relative error of e^r: the
# exponential of tanh (exp_moderate_f32), reduced by the Cody-Waite split of exp.
r = nodes(-0.3467, 0.3467)
r = r[np.abs(r) > 1e-6]
p_exact = mpf_map(lambda v: mp.expm1(v) / v, r)
w = np.abs(r) / mpf_map(mp.exp, r)
show("exp P(r), degree 5", *lawson(r, p_exact, w, range(6)))
