"""All numba-compiled code of som_mc (one decorator policy, no globals).

The kernel takes pre-drawn random numbers only — sampled inputs and, when outcome noise is
on, the realised active successes per cohort and year — so it is deterministic, independent
of the number of threads, and testable against the NumPy twin in :mod:`som_mc.reference`.
``fastmath`` is off and the operation order matches the reference, which makes the two
bitwise identical on the same inputs. Division follows IEEE (``error_model="numpy"``, as in
the NumPy twins) rather than Python's ZeroDivisionError checks, which keep loops from being
vectorised; every division in these kernels has a divisor that cannot be zero or is guarded.

The kernels are serial and release the GIL (``nogil``): every draw (and every summary row) is
computed on its own, so :mod:`som_mc.engine.kernel` runs them on a few Python threads over
disjoint slices, and the pipeline runs whole blocks of draws on worker threads. No OpenMP
threads spin between calls, and one thread per core is all that runs.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba.core import types
from numba.extending import intrinsic, overload

__all__ = [
    "PCG64_CONSTANTS",
    "actor_rows",
    "beta_draws",
    "histogram_rows",
    "normal_draws",
    "outcome_chain",
    "pcg64_raw",
    "row_moments",
    "simulate_chunk",
    "summary_rows",
    "triangular_draws",
]

_JIT = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}


@numba.njit(**_JIT)  # type: ignore[call-overload]
def simulate_chunk(
    x: np.ndarray,
    lo: int,
    hi: int,
    uncertain: np.ndarray,
    const: np.ndarray,
    idx_success: int,
    idx_dropoff: int,
    idx_participants: np.ndarray,
    cons_scale: np.ndarray,
    cons_profile: np.ndarray,
    cons_price: np.ndarray,
    cons_participants: np.ndarray,
    cost_amount: np.ndarray,
    cost_actor: np.ndarray,
    cost_fixed: np.ndarray,
    cost_pp: np.ndarray,
    discount: np.ndarray,
    delay: int,
    span: int,
    noise: bool,
    active: np.ndarray,
    out_cost: np.ndarray,
    out_value: np.ndarray,
    out_net: np.ndarray,
    out_pv: np.ndarray,
    out_value_k: np.ndarray,
    out_rows: np.ndarray,
    out_first: np.ndarray,
) -> None:
    """Simulate one chunk of draws, writing into preallocated outputs.

    Parameters
    ----------
    x : ndarray, shape (U, n)
        Sampled values of the uncertain inputs, input by input (rows in the order of
        `uncertain`, one column per draw).
    lo, hi : int
        The draws to simulate (``0 <= lo <= hi <= n``); other draws' outputs are left alone.
    uncertain : ndarray of int64, shape (U,)
        Position of each sampled column in the full input vector.
    const : ndarray, shape (J,)
        Values of the fixed inputs (full input vector template).
    idx_success, idx_dropoff : int
        Positions of the succesrate and the drop-off rate.
    idx_participants : ndarray of int64, shape (C,)
        Positions of the participants per cohort.
    cons_scale : ndarray of int64, shape (K,)
        Position of each consequence's scale factor.
    cons_profile : ndarray of int64, shape (K, P)
        Position of each profile entry; -1 past the end of the profile.
    cons_price : ndarray of int64, shape (K, A)
        Position of each unit price; -1 where the actor has no price.
    cons_participants : ndarray of int64, shape (K,)
        1 when the consequence applies to all participants during their forløb.
    cost_amount, cost_actor : ndarray of int64, shape (L,)
        Position of each cost line's amount, and its actor.
    cost_fixed : ndarray, shape (L, T)
        Signed multiplier of the amount per year (one-off and yearly lines).
    cost_pp : ndarray, shape (L, C, T)
        Signed share of the amount per participant of cohort c in year t.
    discount : ndarray, shape (T,)
        Discount factor per year.
    delay, span : int
        Effect delay ``ceil(course) - 1`` and forløb span ``ceil(course)`` in years.
    noise : bool
        Use `active` (realised successes) instead of expectations.
    active : ndarray, shape (n, C, S)
        Realised active successes per cohort and year since the effect year (when `noise`).
    out_cost, out_value, out_net : ndarray, shape (n, T, A)
        Outputs: costs, value of consequences (-ΔE) and net result per year and actor;
        `out_cost` and `out_value` are written only when their first dimension is n (pass
        shape (0, 0, 0) when only the net result is wanted).
    out_pv : ndarray, shape (n, A)
        Output: discounted sum of the net result over the years.
    out_value_k : ndarray, shape (n, K, T, A) or (0, 0, 0, 0)
        Output per consequence, written when its first dimension is n.
    out_rows : ndarray, shape (R, n) or (0, 0)
        Output: the draws' summary rows, laid out as :func:`summary_rows` lays them out from
        `out_net` and `out_pv` (the same numbers), written when its second dimension is n.
        `out_net` and `out_pv` may then have first dimension 0 (not written).
    out_first : ndarray of int64, shape (A + 1, n) or (0, 0)
        Output with `out_rows`: the first year whose cumulative result is >= 0.
    """
    n = x.shape[1]
    n_unc = uncertain.shape[0]
    n_in = const.shape[0]
    n_c = idx_participants.shape[0]
    n_k, n_p = cons_profile.shape
    n_a = cons_price.shape[1]
    n_t = discount.shape[0]
    n_l = cost_amount.shape[0]
    n_s = active.shape[2]
    keep_k = out_value_k.shape[0] == n
    keep_parts = out_value.shape[0] == n  # value and cost too, or only net and pv
    keep_net = out_net.shape[0] == n
    lay_out = out_rows.shape[1] == n and n > 0  # summary rows straight from the tile
    # Draws are taken in tiles: every quantity of a tile is a row over its draws, so the
    # innermost loops run over draws, element by element (SIMD), with each draw computed in
    # the same order as the NumPy reference whatever the tiling and the number of threads.
    # A tile reads a stretch of every sampled input's row of `x` (69 rows in the reference
    # workload): 128 draws (two 512-byte runs per row) cost ≈ 10 % less per draw than 64
    # in benchmarks/bench_stages.py, the scratch of a tile still well inside the L2 cache.
    # Inputs are read as v[row, d] by row index (no row views: numba counts references to
    # every view it makes in a loop).
    tile = 128
    # the full input vector of each draw of a tile, one row per input: the fixed inputs are
    # written once, the sampled ones for every tile
    v = np.empty((n_in, tile))
    for j in range(n_in):
        for d in range(tile):
            v[j, d] = const[j]
    keep = np.empty(tile)
    successes = np.zeros((n_p, n_c, tile))  # lanes past a last, partial tile: zeros
    value = np.empty((n_a, n_t, tile))
    cost = np.empty((n_a, n_t, tile))
    net = np.empty((n_a, n_t, tile))
    pdq = np.empty((n_p, n_c, tile))
    dq = np.empty(tile)
    total = np.empty(tile)
    pv = np.empty((n_a, tile))
    n_part = np.empty(tile)
    scratch = np.empty((3, tile))
    first = np.empty(tile, dtype=np.int64)
    for i0 in range(lo, hi, tile):
        m = min(tile, hi - i0)
        for j in range(n_unc):
            row = uncertain[j]
            for d in range(m):
                v[row, d] = x[j, i0 + d]
        for d in range(tile):
            keep[d] = 1.0 - v[idx_dropoff, d]
        # successful persons still active per year since the effect year and cohort
        for tau in range(n_p):
            for c in range(n_c):
                if noise:
                    for d in range(m):
                        successes[tau, c, d] = active[i0 + d, c, tau] if tau < n_s else 0.0
                else:
                    r_persons = idx_participants[c]
                    for d in range(tile):
                        successes[tau, c, d] = v[idx_success, d] * v[r_persons, d] * keep[d] ** tau
        # value and cost per (actor, year), and persons × quantity change per (year since
        # the start of the consequence, cohort) of the consequence at hand
        value[...] = 0.0
        cost[...] = 0.0
        for k in range(n_k):
            r_scale = cons_scale[k]
            during = cons_participants[k] == 1
            shift = 0 if during else delay
            n_tau = 0
            for tau in range(n_p):
                pidx = cons_profile[k, tau]
                if pidx < 0 or (during and tau >= span):
                    break
                for d in range(tile):
                    dq[d] = v[pidx, d] * v[r_scale, d]
                for c in range(n_c):
                    if during:
                        r_persons = idx_participants[c]
                        for d in range(tile):
                            pdq[tau, c, d] = v[r_persons, d] * dq[d]
                    else:
                        for d in range(tile):
                            pdq[tau, c, d] = successes[tau, c, d] * dq[d]
                n_tau += 1
            # each (actor, year) cell receives its terms in (k, tau, c) order
            for a in range(n_a):
                q = cons_price[k, a]
                if q < 0:
                    continue
                for tau in range(n_tau):
                    base = shift + tau
                    for c in range(min(n_c, n_t - base)):
                        t = base + c
                        for d in range(tile):
                            value[a, t, d] -= pdq[tau, c, d] * v[q, d]
                        if keep_k:
                            for d in range(m):
                                out_value_k[i0 + d, k, t, a] -= pdq[tau, c, d] * v[q, d]
        for line in range(n_l):
            r_amount = cost_amount[line]
            a = cost_actor[line]
            for t in range(n_t):
                fixed = cost_fixed[line, t]
                for d in range(tile):
                    total[d] = fixed * v[r_amount, d]
                for c in range(n_c):
                    share = cost_pp[line, c, t]
                    if share != 0.0:
                        r_persons = idx_participants[c]
                        for d in range(tile):
                            total[d] += v[r_persons, d] * v[r_amount, d] * share
                for d in range(tile):
                    cost[a, t, d] += total[d]
        # net result and its discounted sum per actor, each draw on its own
        for a in range(n_a):
            for d in range(tile):
                pv[a, d] = 0.0
            for t in range(n_t):
                rate = discount[t]
                for d in range(tile):
                    r = value[a, t, d] - cost[a, t, d]
                    net[a, t, d] = r
                    pv[a, d] += r * rate
        if lay_out:
            for d in range(tile):
                n_part[d] = 0.0
            for c in range(n_c):
                r_persons = idx_participants[c]
                for d in range(tile):
                    n_part[d] += v[r_persons, d]
            _lay_out_tile(net, pv, n_part, i0, m, out_rows, out_first, scratch, first)
        # written draw by draw: each draw's outputs are contiguous
        for d in range(m):
            i = i0 + d
            if keep_net:
                for t in range(n_t):
                    for a in range(n_a):
                        out_net[i, t, a] = net[a, t, d]
                for a in range(n_a):
                    out_pv[i, a] = pv[a, d]
            if keep_parts:
                for t in range(n_t):
                    for a in range(n_a):
                        out_value[i, t, a] = value[a, t, d]
                        out_cost[i, t, a] = cost[a, t, d]


@numba.njit(**_JIT)  # type: ignore[call-overload]
def outcome_chain(
    gen: np.random.Generator,
    participants: np.ndarray,
    s: np.ndarray,
    keep: np.ndarray,
    dropoff: bool,
    active: np.ndarray,
) -> None:
    """Draw the realised active successes of one block from its outcome stream.

    ``active[i, c, 0] ~ Binomial(participants[i, c], s[i])`` and, with drop-off,
    ``active[i, c, τ] ~ Binomial(active[i, c, τ − 1], keep[i])``; without it every year keeps
    the first year's successes. The draws are taken cohort by cohort, year by year, draw by
    draw: the order (and NumPy's algorithm, which numba's ``Generator.binomial`` implements)
    of ``gen.binomial`` on the arrays, so the numbers are NumPy's.

    Parameters
    ----------
    gen : numpy.random.Generator
        The block's outcome stream (one per block of draws, never shared between threads).
    participants : ndarray, shape (n, C)
        Participants per draw and cohort (whole numbers >= 0).
    s, keep : ndarray, shape (n,)
        Succesrate and 1 − drop-off rate per draw (in [0, 1]).
    dropoff : bool
        Whether successes end over the years.
    active : ndarray, shape (n, C, S)
        Output.
    """
    n, n_c, n_chain = active.shape
    for c in range(n_c):
        i = 0
        # four draws at a time where all four take NumPy's inversion algorithm (their chains
        # of divisions overlap); the same random numbers in the same order, the same results
        while i + 4 <= n:
            if not _binomials4(gen, participants, s, c, i, active):
                for d in range(i, i + 4):
                    active[d, c, 0] = gen.binomial(np.int64(participants[d, c]), s[d])
            i += 4
        for d in range(i, n):
            active[d, c, 0] = gen.binomial(np.int64(participants[d, c]), s[d])
        if dropoff:
            for tau in range(1, n_chain):
                for i in range(n):
                    active[i, c, tau] = gen.binomial(np.int64(active[i, c, tau - 1]), keep[i])
        else:  # every year keeps the first year's successes (draw by draw: contiguous)
            for i in range(n):
                first = active[i, c, 0]
                for tau in range(1, n_chain):
                    active[i, c, tau] = first


@numba.njit(inline="always", **_JIT)  # type: ignore[call-overload]
def _inversion_setup(n: int, p: float) -> tuple[float, float, float, float, bool, bool]:
    """Return what NumPy's binomial computes before its inversion loop, and whether it takes it.

    Returns ``(p', q', q'^n, bound, flipped, inversion)``: NumPy (and numba's
    ``Generator.binomial``) draws ``Binomial(n, p)`` by inversion with ``p' = min(p, 1 - p)``
    when ``p' n <= 30`` (``flipped``: the draw is ``n - X``); `inversion` is False for
    ``n = 0`` or ``p = 0`` (no random number is drawn) and for the BTPE algorithm.
    """
    flipped = p > 0.5
    pp = 1.0 - p if flipped else p
    if n == 0 or p == 0.0 or pp * n > 30.0:
        return pp, 0.0, 0.0, 0.0, flipped, False
    q = 1.0 - pp
    mean = n * pp
    return pp, q, np.exp(n * np.log(q)), min(n, mean + 10.0 * np.sqrt(mean * q + 1)), flipped, True


@numba.njit(inline="always", **_JIT)  # type: ignore[call-overload]
def _inversion_step(
    x: int, u: float, px: float, n: int, p: float, q: float, bound: float
) -> tuple[int, float, float, bool, bool]:
    """One step of NumPy's inversion loop: ``(x, u, px, go on, restart)``.

    The count moves up by one; past the bound the draw must restart with a new uniform.
    """
    x += 1
    if x > bound:
        return x, u, px, False, True
    u -= px
    px = ((n - x + 1) * p * px) / (x * q)
    return x, u, px, u > px, False


@numba.njit(**_JIT)  # type: ignore[call-overload]
def _inversion_replay(
    gen: np.random.Generator,
    n: int,
    p: float,
    q: float,
    qn: float,
    bound: float,
    drawn: np.ndarray,
    state: np.ndarray,
) -> int:
    """Run NumPy's inversion loop on the uniforms in `drawn` (from ``state[0]`` on), then `gen`."""
    x = 0
    px = qn
    if state[0] < drawn.shape[0]:
        u = drawn[state[0]]
        state[0] += 1
    else:
        u = gen.random()
    while u > px:
        x = x + 1
        if x > bound:
            x = 0
            px = qn
            if state[0] < drawn.shape[0]:
                u = drawn[state[0]]
                state[0] += 1
            else:
                u = gen.random()
        else:
            u -= px
            px = ((n - x + 1) * p * px) / (x * q)
    return x


@numba.njit(inline="always", **_JIT)  # type: ignore[call-overload]
def _binomials4(
    gen: np.random.Generator,
    participants: np.ndarray,
    s: np.ndarray,
    c: int,
    i: int,
    active: np.ndarray,
) -> bool:
    """``active[i:i+4, c, 0]`` as four ``gen.binomial`` calls in turn give them, interleaved.

    Only when all four take NumPy's inversion algorithm (one uniform each unless a draw
    restarts); otherwise nothing is drawn and False is returned. Each draw's loop is NumPy's,
    operation for operation. The four uniforms are drawn first, in order; when a draw
    restarts (its count passes the bound, which needs a new uniform), the four are redone
    one after the other from those uniforms and then `gen`: the order of the plain calls.
    """
    n0, n1 = np.int64(participants[i, c]), np.int64(participants[i + 1, c])
    n2, n3 = np.int64(participants[i + 2, c]), np.int64(participants[i + 3, c])
    p0, q0, qn0, b0, f0, ok0 = _inversion_setup(n0, s[i])
    p1, q1, qn1, b1, f1, ok1 = _inversion_setup(n1, s[i + 1])
    p2, q2, qn2, b2, f2, ok2 = _inversion_setup(n2, s[i + 2])
    p3, q3, qn3, b3, f3, ok3 = _inversion_setup(n3, s[i + 3])
    if not (ok0 and ok1 and ok2 and ok3):
        return False
    u0 = gen.random()
    u1 = gen.random()
    u2 = gen.random()
    u3 = gen.random()
    v0, v1, v2, v3 = u0, u1, u2, u3
    px0, px1, px2, px3 = qn0, qn1, qn2, qn3
    x0 = x1 = x2 = x3 = 0
    go0, go1, go2, go3 = u0 > px0, u1 > px1, u2 > px2, u3 > px3
    restart = False
    while (go0 or go1 or go2 or go3) and not restart:
        if go0:
            x0, u0, px0, go0, restart = _inversion_step(x0, u0, px0, n0, p0, q0, b0)
        if go1 and not restart:
            x1, u1, px1, go1, restart = _inversion_step(x1, u1, px1, n1, p1, q1, b1)
        if go2 and not restart:
            x2, u2, px2, go2, restart = _inversion_step(x2, u2, px2, n2, p2, q2, b2)
        if go3 and not restart:
            x3, u3, px3, go3, restart = _inversion_step(x3, u3, px3, n3, p3, q3, b3)
    if restart:  # (rare: about once in 10^15 draws)
        drawn = np.array([v0, v1, v2, v3])
        state = np.zeros(1, dtype=np.int64)
        x0 = _inversion_replay(gen, n0, p0, q0, qn0, b0, drawn, state)
        x1 = _inversion_replay(gen, n1, p1, q1, qn1, b1, drawn, state)
        x2 = _inversion_replay(gen, n2, p2, q2, qn2, b2, drawn, state)
        x3 = _inversion_replay(gen, n3, p3, q3, qn3, b3, drawn, state)
    active[i, c, 0] = n0 - x0 if f0 else x0
    active[i + 1, c, 0] = n1 - x1 if f1 else x1
    active[i + 2, c, 0] = n2 - x2 if f2 else x2
    active[i + 3, c, 0] = n3 - x3 if f3 else x3
    return True


_U64 = (1 << 64) - 1
_U128 = (1 << 128) - 1
#: PCG64's multiplier (O'Neill's PCG_DEFAULT_MULTIPLIER_128, as in NumPy's PCG64).
_PCG_MULT = (2549297995355413924 << 64) | 4865540595714422341
_PCG_MULT4 = pow(_PCG_MULT, 4, 1 << 128)  # four steps at once: s' = M^4 s + (1+M+M²+M³) inc
_PCG_SUM4 = (1 + _PCG_MULT + _PCG_MULT**2 + _PCG_MULT**3) & _U128
#: ``pcg64_raw``'s constants as 64-bit halves (high, low): M, M^4 and 1 + M + M² + M³.
PCG64_CONSTANTS = np.array(
    [h for c in (_PCG_MULT, _PCG_MULT4, _PCG_SUM4) for h in (c >> 64, c & _U64)], dtype=np.uint64
)


def _mul_add_128(
    a_hi: np.uint64,
    a_lo: np.uint64,
    b_hi: np.uint64,
    b_lo: np.uint64,
    c_hi: np.uint64,
    c_lo: np.uint64,
) -> tuple[np.uint64, np.uint64]:
    """``a·b + c`` modulo 2^128 on 128-bit numbers given as 64-bit halves ``(high, low)``.

    Python's integers here; in compiled code one 128-bit multiply and add (LLVM's ``i128``).
    """
    a = (int(a_hi) << 64) | int(a_lo)
    b = (int(b_hi) << 64) | int(b_lo)
    c = (int(c_hi) << 64) | int(c_lo)
    r = (a * b + c) & _U128
    return np.uint64(r >> 64), np.uint64(r & _U64)


@intrinsic
def _mul_add_i128(
    typingctx: Any, a_hi: Any, a_lo: Any, b_hi: Any, b_lo: Any, c_hi: Any, c_lo: Any
) -> Any:
    """``a·b + c`` modulo 2^128 on six 64-bit halves, in LLVM's ``i128`` arithmetic."""
    u64 = types.uint64
    sig = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        i128 = ir.IntType(128)
        shift = ir.Constant(i128, 64)
        wide = [builder.zext(v, i128) for v in args]
        a, b, c = (builder.or_(builder.shl(wide[k], shift), wide[k + 1]) for k in (0, 2, 4))
        r = builder.add(builder.mul(a, b), c)
        hi = builder.trunc(builder.lshr(r, shift), ir.IntType(64))
        lo = builder.trunc(r, ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [hi, lo])

    return sig, codegen


@overload(_mul_add_128)
def _mul_add_128_compiled(
    a_hi: Any, a_lo: Any, b_hi: Any, b_lo: Any, c_hi: Any, c_lo: Any
) -> Any:
    """Compiled :func:`_mul_add_128`: one 128-bit multiply and add."""

    def impl(a_hi: Any, a_lo: Any, b_hi: Any, b_lo: Any, c_hi: Any, c_lo: Any) -> Any:
        u = np.uint64
        return _mul_add_i128(u(a_hi), u(a_lo), u(b_hi), u(b_lo), u(c_hi), u(c_lo))  # type: ignore[call-arg]

    return impl


@numba.njit(inline="always", **_JIT)  # type: ignore[call-overload]
def _pcg_output(hi: np.uint64, lo: np.uint64) -> np.uint64:
    """PCG64's output of a state (XSL-RR): ``(hi ^ lo)`` rotated right by ``hi >> 58``."""
    x = hi ^ lo
    r = hi >> np.uint64(58)
    return (x >> r) | (x << ((np.uint64(64) - r) & np.uint64(63)))


@numba.njit(**_JIT)  # type: ignore[call-overload]
def pcg64_raw(state: np.ndarray, constants: np.ndarray, out: np.ndarray) -> None:
    """Fill `out` with PCG64's next raw outputs (``random_raw``'s numbers), advancing `state`.

    Four states are stepped at once (each by four steps, ``s' = M^4·s + (1 + M + M² + M³)·inc``),
    so four independent multiplications overlap in the processor instead of waiting on one
    another; the outputs are those of stepping one state at a time.

    Parameters
    ----------
    state : ndarray of uint64, shape (4,)
        The state and increment as 64-bit halves: ``[state_hi, state_lo, inc_hi, inc_lo]``
        (NumPy's ``PCG64.state``); updated in place to the state after the last output.
    constants : ndarray of uint64, shape (6,)
        :data:`PCG64_CONSTANTS`.
    out : ndarray of uint64, shape (n,)
        Output.
    """
    n = out.shape[0]
    s_hi, s_lo, i_hi, i_lo = state[0], state[1], state[2], state[3]
    m_hi, m_lo = constants[0], constants[1]
    m4_hi, m4_lo = constants[2], constants[3]
    c4_hi, c4_lo = _mul_add_128(i_hi, i_lo, constants[4], constants[5], np.uint64(0), np.uint64(0))
    k = 0
    if n >= 4:
        a_hi, a_lo = _mul_add_128(s_hi, s_lo, m_hi, m_lo, i_hi, i_lo)
        b_hi, b_lo = _mul_add_128(a_hi, a_lo, m_hi, m_lo, i_hi, i_lo)
        c_hi, c_lo = _mul_add_128(b_hi, b_lo, m_hi, m_lo, i_hi, i_lo)
        d_hi, d_lo = _mul_add_128(c_hi, c_lo, m_hi, m_lo, i_hi, i_lo)
        while True:
            out[k] = _pcg_output(a_hi, a_lo)
            out[k + 1] = _pcg_output(b_hi, b_lo)
            out[k + 2] = _pcg_output(c_hi, c_lo)
            out[k + 3] = _pcg_output(d_hi, d_lo)
            s_hi, s_lo = d_hi, d_lo  # the state after out[k + 3]
            k += 4
            if k + 4 > n:
                break
            a_hi, a_lo = _mul_add_128(a_hi, a_lo, m4_hi, m4_lo, c4_hi, c4_lo)
            b_hi, b_lo = _mul_add_128(b_hi, b_lo, m4_hi, m4_lo, c4_hi, c4_lo)
            c_hi, c_lo = _mul_add_128(c_hi, c_lo, m4_hi, m4_lo, c4_hi, c4_lo)
            d_hi, d_lo = _mul_add_128(d_hi, d_lo, m4_hi, m4_lo, c4_hi, c4_lo)
    while k < n:
        s_hi, s_lo = _mul_add_128(s_hi, s_lo, m_hi, m_lo, i_hi, i_lo)
        out[k] = _pcg_output(s_hi, s_lo)
        k += 1
    state[0], state[1] = s_hi, s_lo


@numba.njit(inline="always", **_JIT)  # type: ignore[call-overload]
def _raw_double(raw: np.ndarray, pos: int) -> float:
    """PCG64's ``next_double`` from a raw 64-bit output: its top 53 bits over 2^53."""
    return float(np.int64(raw[pos] >> np.uint64(11))) * (1.0 / 9007199254740992.0)


@numba.njit(inline="always", **_JIT)  # type: ignore[call-overload]
def _ziggurat_try(
    r: np.uint64, wi: np.ndarray, ki: np.ndarray
) -> tuple[int, np.uint64, float, bool]:
    """Decode one raw output as NumPy's ziggurat does: ``(idx, rabs, x, accepted)``.

    The low 8 bits pick the layer, the next bit the sign, the next 52 bits ``rabs``; ``x =
    ±rabs·wi[idx]`` is the normal when ``rabs < ki[idx]`` (99.3% of the time).
    """
    idx = int(np.int64(r & np.uint64(0xFF)))
    r = r >> np.uint64(8)
    rabs = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
    x = float(np.int64(rabs)) * wi[idx]  # rabs < 2^52: exact
    if r & np.uint64(1):
        x = -x
    return idx, rabs, x, rabs < ki[idx]


@numba.njit(**_JIT)  # type: ignore[call-overload]
def _raw_normal_rest(
    raw: np.ndarray,
    pos: int,
    idx: int,
    rabs: np.uint64,
    x: float,
    zig: tuple[np.ndarray, np.ndarray, np.ndarray, float, float],
) -> tuple[float, int]:
    """NumPy's ziggurat normal after its first test failed for ``(idx, rabs, x)`` (0.7%).

    Continues ``random_standard_normal``'s loop on the raw outputs from `pos`: the tail
    (``idx == 0``) or the wedge test, then new outputs until one is accepted. Returns the
    normal and the position after it, or ``(0, -1)`` when `raw` runs out. `zig` holds the
    ziggurat's tables ``(wi, ki, fi, r, 1/r)`` (NumPy's, as numba ships them).
    """
    wi, ki, fi, nor_r, nor_inv_r = zig
    n = raw.shape[0]
    bits = np.uint64(rabs)  # (a Python int when called from Python)
    while True:
        if idx == 0:
            while pos + 1 < n:
                xx = -nor_inv_r * np.log1p(-_raw_double(raw, pos))
                yy = -np.log1p(-_raw_double(raw, pos + 1))
                pos += 2
                if yy + yy > xx * xx:
                    if (bits >> np.uint64(8)) & np.uint64(1):
                        return -(nor_r + xx), pos
                    return nor_r + xx, pos
            return 0.0, -1
        if pos >= n:
            return 0.0, -1
        u = _raw_double(raw, pos)
        pos += 1
        if (fi[idx - 1] - fi[idx]) * u + fi[idx] < np.exp(-0.5 * x * x):
            return x, pos
        if pos >= n:
            return 0.0, -1
        idx, bits, x, accepted = _ziggurat_try(raw[pos], wi, ki)
        pos += 1
        if accepted:
            return x, pos


@numba.njit(**_JIT)  # type: ignore[call-overload]
def normal_draws(
    raw: np.ndarray,
    loc: float,
    scale: float,
    log: bool,
    out: np.ndarray,
    start: int,
    zig: tuple[np.ndarray, np.ndarray, np.ndarray, float, float],
) -> tuple[int, int]:
    """Draw ``out[start:]`` as NumPy's ``Generator.normal(loc, scale)`` (or ``lognormal``).

    NumPy draws ``loc + scale * z`` with its ziggurat standard normal ``z`` (``lognormal``:
    ``exp`` of it); here from pre-drawn raw PCG64 outputs taken in the same order (see
    :func:`beta_draws`), so the numbers are NumPy's. Returns the first draw not made and
    the position in `raw` where it starts.
    """
    n = raw.shape[0]
    pos = 0
    for i in range(start, out.shape[0]):
        if pos >= n:
            return i, pos
        begin = pos
        idx, rabs, z, accepted = _ziggurat_try(raw[pos], zig[0], zig[1])
        pos += 1
        if not accepted:
            z, pos = _raw_normal_rest(raw, pos, idx, rabs, z, zig)
            if pos < 0:
                return i, begin
        x = loc + scale * z
        out[i] = np.exp(x) if log else x
    return out.shape[0], pos


@numba.njit(**_JIT)  # type: ignore[call-overload]
def triangular_draws(
    raw: np.ndarray, left: float, mode: float, right: float, out: np.ndarray
) -> None:
    """Draw `out` as NumPy's ``Generator.triangular(left, mode, right)`` from raw outputs.

    NumPy takes one uniform per draw (``next_double``: the top 53 bits of a raw PCG64 output
    over 2^53) and inverts the distribution function with the constants below, so from the
    same outputs (one per draw, `raw` as long as `out`) the numbers are NumPy's.
    """
    base = right - left
    leftbase = mode - left
    ratio = leftbase / base
    leftprod = leftbase * base
    rightprod = (right - mode) * base
    for i in range(out.shape[0]):
        u = _raw_double(raw, i)
        if u <= ratio:
            out[i] = left + np.sqrt(u * leftprod)
        else:
            out[i] = right - np.sqrt((1.0 - u) * rightprod)


@numba.njit(**_JIT)  # type: ignore[call-overload]
def beta_draws(
    raw: np.ndarray,
    a: float,
    b: float,
    out: np.ndarray,
    start: int,
    zig: tuple[np.ndarray, np.ndarray, np.ndarray, float, float],
) -> tuple[int, int]:
    """Draw ``out[start:]`` ~ Beta(a, b), ``a, b > 1``, as NumPy's ``Generator.beta`` does.

    NumPy draws each value as ``Ga / (Ga + Gb)`` from two standard gamma draws (Marsaglia and
    Tsang, on its ziggurat normal), taking the generator's outputs one by one. Here the
    outputs are pre-drawn (`raw`, from ``bit_generator.random_raw``: PCG64's ``next_uint64``,
    whose top 53 bits give ``next_double``) and taken in the same order with the same
    arithmetic, so the draws are NumPy's. `zig` holds the ziggurat's tables
    ``(wi, ki, fi, r, 1/r)`` (NumPy's, as numba ships them).

    Marsaglia and Tsang's loop is written out here rather than in a helper: an inlined
    helper with loops binds the tables afresh on every call, and numba then counts
    references to them (two atomic operations per table) for every gamma draw, which made
    the draw five times dearer.

    Returns
    -------
    (int, int)
        The first draw not made (``out.shape[0]`` when all are) and the position in `raw`
        where it starts: with more outputs after ``raw[position:]`` it is made again from
        there (the same value).
    """
    n = raw.shape[0]
    wi = zig[0]
    ki = zig[1]
    pos = 0
    ba = a - 1.0 / 3.0  # NumPy's constants of the two gamma draws, computed once
    ca = 1.0 / np.sqrt(9 * ba)
    bb = b - 1.0 / 3.0
    cb = 1.0 / np.sqrt(9 * bb)
    for i in range(start, out.shape[0]):
        begin = pos
        ga = 0.0
        g = 0.0
        for k in range(2):  # Ga, then Gb: NumPy's random_standard_gamma for shape > 1
            shape_b = ba if k == 0 else bb
            shape_c = ca if k == 0 else cb
            while True:
                while True:
                    if pos + 2 > n:  # a normal's output and the uniform's
                        return i, begin
                    idx, rabs, x, accepted = _ziggurat_try(raw[pos], wi, ki)
                    pos += 1
                    if not accepted:  # 0.7 %: the tail or the wedge test
                        x, pos = _raw_normal_rest(raw, pos, idx, rabs, x, zig)
                        if pos < 0 or pos >= n:
                            return i, begin
                    v = 1.0 + shape_c * x
                    if v > 0.0:
                        break
                v = v * v * v
                u = _raw_double(raw, pos)
                pos += 1
                if u < 1.0 - 0.0331 * (x * x) * (x * x):
                    break
                if np.log(u) < 0.5 * x * x + shape_b * (1.0 - v + np.log(v)):
                    break
            g = shape_b * v
            if k == 0:
                ga = g
        out[i] = ga / (ga + g)
    return out.shape[0], pos


@numba.njit(**_JIT)  # type: ignore[call-overload]
def summary_rows(
    net: np.ndarray,
    pv: np.ndarray,
    participants: np.ndarray,
    rows: np.ndarray,
    first_break_even: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """Lay out each draw's summary statistics as rows over the draws (one row per cell).

    Actor ``A`` (the last, one past the case's actors) is the total over actors. Row order:
    yearly net result (T·(A+1) rows, year-major), cumulative net result (T·(A+1)), horizon
    total (A+1), discounted total (A+1), horizon total per participant (A+1; 0 when a draw
    has no participants). Sums run in the same order as NumPy's ``sum``/``cumsum`` over the
    short actor and year axes (NumPy sums fewer than 8 values in order), so for cases with
    up to 7 aktører the rows equal the NumPy computation bitwise.

    Parameters
    ----------
    net : ndarray, shape (n, T, A)
        Net result per draw, year and actor.
    pv : ndarray, shape (n, A)
        Discounted total per draw and actor.
    participants : ndarray, shape (n, C)
        Participants per draw and cohort.
    rows : ndarray, shape (2·T·(A+1) + 3·(A+1), n)
        Output rows.
    first_break_even : ndarray of int64, shape (A+1, n)
        Output: index of the first year whose cumulative result is >= 0, T when none.
    lo, hi : int
        The draws to lay out (``0 <= lo <= hi <= n``); other columns are left alone.
    """
    n_t, n_a = net.shape[1], net.shape[2]
    n_c = participants.shape[1]
    # Draws are taken in tiles with the draws innermost: every write to `rows` runs along
    # a row (whole cache lines), and each draw is computed on its own.
    tile = 64
    net_tile = np.empty((n_a, n_t, tile))
    pv_tile = np.empty((n_a, tile))
    n_part = np.empty(tile)
    scratch = np.empty((3, tile))
    first = np.empty(tile, dtype=np.int64)
    for i0 in range(lo, hi, tile):
        m = min(tile, hi - i0)
        for d in range(m):
            n_part[d] = 0.0
        for c in range(n_c):
            for d in range(m):
                n_part[d] += participants[i0 + d, c]
        for a in range(n_a):
            for d in range(m):
                pv_tile[a, d] = pv[i0 + d, a]
            for t in range(n_t):
                for d in range(m):
                    net_tile[a, t, d] = net[i0 + d, t, a]
        _lay_out_tile(net_tile, pv_tile, n_part, i0, m, rows, first_break_even, scratch, first)


@numba.njit(**_JIT)  # type: ignore[call-overload]
def actor_rows(
    net: np.ndarray,
    pv: np.ndarray,
    n_part: np.ndarray,
    a: int,
    rows: np.ndarray,
    first_break_even: np.ndarray,
    lo: int,
    hi: int,
) -> None:
    """Lay out the summary rows of one aktør (or the total) alone: a part of :func:`summary_rows`.

    The same numbers as :func:`summary_rows` gives for actor `a` (``a == A``: the total over
    actors), in its own order: yearly net result (T rows), cumulative net result (T),
    horizon total, discounted total and horizon total per participant (0 when a draw has no
    participants). Each aktør's rows can then be summarised on their own, in a buffer of
    1 / (A + 1) of all rows.

    Parameters
    ----------
    net : ndarray, shape (n, T, A)
        Net result per draw, year and actor.
    pv : ndarray, shape (n, A)
        Discounted total per draw and actor.
    n_part : ndarray, shape (n,)
        Participants per draw (the sum over cohorts, in cohort order).
    a : int
        The actor, ``0 <= a <= A``.
    rows : ndarray, shape (2·T + 3, n)
        Output rows.
    first_break_even : ndarray of int64, shape (n,)
        Output: index of the first year whose cumulative result is >= 0, T when none.
    lo, hi : int
        The draws to lay out (``0 <= lo <= hi <= n``); other columns are left alone.
    """
    n_t, n_a = net.shape[1], net.shape[2]
    tail = 2 * n_t
    # Draw by draw: each draw's net result is read in one run, and the rows are written
    # along (one stream per row); the sums run in the order of summary_rows.
    for i in range(lo, hi):
        first = n_t
        running = 0.0
        for t in range(n_t):
            if a < n_a:
                value = net[i, t, a]
            else:
                value = 0.0
                for b in range(n_a):
                    value += net[i, t, b]
            running = value if t == 0 else running + value
            rows[t, i] = value
            rows[n_t + t, i] = running
            if running >= 0 and first == n_t:
                first = t
        if a < n_a:
            total = pv[i, a]
        else:
            total = 0.0
            for b in range(n_a):
                total += pv[i, b]
        people = n_part[i]
        rows[tail, i] = running
        rows[tail + 1, i] = total
        rows[tail + 2, i] = running / people if people > 0 else 0.0
        first_break_even[i] = first


@numba.njit(**_JIT)  # type: ignore[call-overload]
def _lay_out_tile(
    net: np.ndarray,
    pv: np.ndarray,
    n_part: np.ndarray,
    i0: int,
    m: int,
    rows: np.ndarray,
    first_break_even: np.ndarray,
    scratch: np.ndarray,
    first: np.ndarray,
) -> None:
    """Write the summary rows of draws ``i0:i0 + m`` from one tile (see :func:`summary_rows`).

    `net` (A, T, tile), `pv` (A, tile) and `n_part` (tile,) hold the tile's net result,
    discounted total and participants, draws innermost; `scratch` (3, tile) and `first`
    (tile,) are work space. One definition of the row layout for both kernels
    (:func:`actor_rows` repeats its arithmetic for one aktør, draw by draw, for another
    memory layout of `net`; tests keep the two equal bit for bit).
    """
    n_a, n_t = net.shape[0], net.shape[1]
    width = n_a + 1
    cum0 = n_t * width
    tail = 2 * n_t * width
    total = scratch[0]
    running = scratch[1]
    for d in range(m):
        total[d] = 0.0
    for a in range(n_a):
        for d in range(m):
            total[d] += pv[a, d]
            rows[tail + width + a, i0 + d] = pv[a, d]
    for d in range(m):
        rows[tail + width + n_a, i0 + d] = total[d]
    for a in range(width):
        for d in range(m):
            first[d] = n_t
        for t in range(n_t):
            for d in range(m):
                if a < n_a:
                    value = net[a, t, d]
                else:
                    value = 0.0
                    for b in range(n_a):
                        value += net[b, t, d]
                rows[t * width + a, i0 + d] = value
                cumulative = value if t == 0 else running[d] + value
                running[d] = cumulative
                rows[cum0 + t * width + a, i0 + d] = cumulative
                if cumulative >= 0 and first[d] == n_t:
                    first[d] = t
        for d in range(m):
            rows[tail + a, i0 + d] = running[d]
            rows[tail + 2 * width + a, i0 + d] = running[d] / n_part[d] if n_part[d] > 0 else 0.0
            first_break_even[a, i0 + d] = first[d]


@numba.njit(**_JIT)  # type: ignore[call-overload]
def row_moments(
    rows: np.ndarray,
    lo: int,
    hi: int,
    mean: np.ndarray,
    m2: np.ndarray,
    positive: np.ndarray,
    hist_lo: np.ndarray,
    hist_width: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Mean, sum of squared deviations and count of values > 0 of columns ``lo:hi`` of each row.

    Each row is reduced in order, so the result does not depend on how rows are split
    over threads. With `counts`, the same columns are also added to each row's histogram
    (as :func:`histogram_rows` adds them), each group of rows right after its moments, while
    those rows are still in the cache. The moments are taken four rows at a time: each
    row's sums still run draw by draw (the same numbers), but the four independent chains
    of additions overlap in the processor.

    Parameters
    ----------
    rows : ndarray, shape (R, n)
        Values, one row per cell.
    lo, hi : int
        The columns (draws) to reduce, ``0 <= lo < hi <= n``: a block of a chunk's rows,
        without copying it out.
    mean, m2 : ndarray, shape (R,)
        Outputs: mean and ``Σ (x − mean)²``.
    positive : ndarray of int64, shape (R,)
        Output: number of values > 0.
    hist_lo, hist_width : ndarray, shape (R,) or (0,)
        Left edge of the first bin and bin width per row (with `counts`).
    counts : ndarray of integers, shape (R, bins) or (0, 0)
        Histogram counts, updated in place when the first dimension is R.
    """
    n_rows = rows.shape[0]
    histogram = counts.shape[0] == n_rows and n_rows > 0
    scratch = _count_scratch(counts.shape[1] if histogram else 0)
    r = 0
    while r < n_rows:
        group = 4 if r + 4 <= n_rows else 1
        if group == 4:
            _moments4(rows, r, lo, hi, mean, m2, positive)
        else:
            _moments1(rows, r, lo, hi, mean, m2, positive)
        if histogram:
            # counted while the rows the moments just read are still in the cache
            for q in range(r, r + group):
                _count_row(rows, q, lo, hi, hist_lo[q], hist_width[q], counts, scratch)
        r += group


@numba.njit(**_JIT)  # type: ignore[call-overload]
def _moments1(
    rows: np.ndarray,
    r: int,
    lo: int,
    hi: int,
    mean: np.ndarray,
    m2: np.ndarray,
    positive: np.ndarray,
) -> None:
    """Moments of :func:`row_moments` of row `r` alone."""
    total = 0.0
    count = 0
    for i in range(lo, hi):
        v = rows[r, i]
        total += v
        count += v > 0
    mu = total / (hi - lo)
    dev = 0.0
    for i in range(lo, hi):
        d = rows[r, i] - mu
        dev += d * d
    mean[r] = mu
    m2[r] = dev
    positive[r] = count


@numba.njit(**_JIT)  # type: ignore[call-overload]
def _moments4(
    rows: np.ndarray,
    r: int,
    lo: int,
    hi: int,
    mean: np.ndarray,
    m2: np.ndarray,
    positive: np.ndarray,
) -> None:
    """Moments of :func:`row_moments` of rows ``r..r+3``, interleaved (each in draw order)."""
    t0 = t1 = t2 = t3 = 0.0
    c0 = c1 = c2 = c3 = 0
    for i in range(lo, hi):
        v0, v1, v2, v3 = rows[r, i], rows[r + 1, i], rows[r + 2, i], rows[r + 3, i]
        t0 += v0
        t1 += v1
        t2 += v2
        t3 += v3
        c0 += v0 > 0
        c1 += v1 > 0
        c2 += v2 > 0
        c3 += v3 > 0
    n = hi - lo
    mu0, mu1, mu2, mu3 = t0 / n, t1 / n, t2 / n, t3 / n
    e0 = e1 = e2 = e3 = 0.0
    for i in range(lo, hi):
        d0 = rows[r, i] - mu0
        d1 = rows[r + 1, i] - mu1
        d2 = rows[r + 2, i] - mu2
        d3 = rows[r + 3, i] - mu3
        e0 += d0 * d0
        e1 += d1 * d1
        e2 += d2 * d2
        e3 += d3 * d3
    mean[r], mean[r + 1], mean[r + 2], mean[r + 3] = mu0, mu1, mu2, mu3
    m2[r], m2[r + 1], m2[r + 2], m2[r + 3] = e0, e1, e2, e3
    positive[r], positive[r + 1], positive[r + 2], positive[r + 3] = c0, c1, c2, c3


@numba.njit(**_JIT)  # type: ignore[call-overload]
def _count_scratch(bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the scratch of :func:`_count_row`: 256 values' bins, one row of 16-bit counts."""
    return np.empty(256, dtype=np.int64), np.empty(bins, dtype=np.uint16)


#: Most values counted into :func:`_count_row`'s 16-bit counts before they are added up.
_COUNT16_MAX = 65_535


@numba.njit(**_JIT)  # type: ignore[call-overload]
def _count_row(
    rows: np.ndarray,
    r: int,
    lo: int,
    hi: int,
    left: float,
    width: float,
    counts: np.ndarray,
    scratch: tuple[np.ndarray, np.ndarray],
) -> None:
    """Add columns ``lo:hi`` of row `r` to ``counts[r]`` (values outside in the edge bins).

    The bins ``clip(floor((x - left) / width), 0, bins - 1)`` of a run of values (as many as
    the first scratch array holds) are computed first, in a loop the compiler vectorises,
    then counted. When there are enough values (at least a quarter as many as bins) they are
    counted into a row of 16-bit counts (`scratch`'s second array: 32 KiB for 16,384 bins,
    which stays in the processor's first-level cache where a row of 32-bit counts does not)
    and those are then added to ``counts[r]`` (runs of at most ``_COUNT16_MAX`` values, so
    no 16-bit count overflows): the same counts, ≈ 12–16 % less time for the histogram
    (``benchmarks/bench_stages.py``).
    """
    index, local = scratch
    bins = counts.shape[1]
    top = float(bins - 1)
    run = index.shape[0]
    wide = 4 * (hi - lo) < bins  # few values: counted straight into counts[r]
    for s0 in range(lo, hi, _COUNT16_MAX):
        s1 = min(hi, s0 + _COUNT16_MAX)
        if not wide:
            local[:] = 0
        for i0 in range(s0, s1, run):
            m = min(run, s1 - i0)
            for j in range(m):
                k = np.floor((rows[r, i0 + j] - left) / width)
                index[j] = np.int64(min(max(k, 0.0), top))
            if wide:
                for j in range(m):
                    counts[r, index[j]] += 1
            else:
                for j in range(m):
                    local[index[j]] += np.uint16(1)
        if not wide:
            for b in range(bins):
                counts[r, b] += local[b]


@numba.njit(**_JIT)  # type: ignore[call-overload]
def histogram_rows(rows: np.ndarray, lo: np.ndarray, width: np.ndarray, counts: np.ndarray) -> None:
    """Add each row's values to its fixed-bin histogram (values outside go to the edge bins).

    Parameters
    ----------
    rows : ndarray, shape (R, n)
        Values, one row per summary cell.
    lo, width : ndarray, shape (R,)
        Left edge of the first bin and bin width per row.
    counts : ndarray of integers, shape (R, bins)
        Counts, updated in place (rows are independent: any split over threads gives the
        same counts).
    """
    scratch = _count_scratch(counts.shape[1])
    for r in range(rows.shape[0]):
        _count_row(rows, r, 0, rows.shape[1], lo[r], width[r], counts, scratch)


@numba.njit(inline="always", **_JIT)  # type: ignore[call-overload]
def _binnable(lo: float, hi: float, bins: int) -> bool:
    """Whether ``[lo, hi]`` can be cut into `bins` bins: wide enough, and its width finite."""
    return -4e307 < lo and hi < 4e307 and hi - lo > bins * 1e-290


@numba.njit(**_JIT)  # type: ignore[call-overload]
def order_statistics(rows: np.ndarray, ks: np.ndarray, out: np.ndarray) -> None:
    """Find the `ks`-th smallest value of each row, exactly, without sorting the rows.

    Each row is counted into bins (its bin of every value kept), and only the values in the
    bins that hold the wanted order statistics are gathered and sorted. Binning is monotone,
    so the k-th smallest value of the row is the (k − values in lower bins)-th smallest of
    its bin: the value a full sort puts at position k. The bins span a range a little wider
    than the wanted positions, read off a sorted sample of up to 256 of the row's values;
    values outside it fall into the first or the last bin (still monotone), and a sample too
    narrow to bin falls back to the row's whole range (a row still too narrow, or with
    values beyond ±4e307, is sorted).

    Parameters
    ----------
    rows : ndarray, shape (R, n)
        Finite values (n >= 1); not modified.
    ks : ndarray of int64, shape (K,)
        Positions (0-based, ascending, distinct, < n).
    out : ndarray, shape (R, K)
        Output.
    """
    n_rows, n = rows.shape
    n_k = ks.shape[0]
    if n_k == 0:  # nothing wanted (the sample's range needs a first and a last position)
        return
    bins = max(1, min(4096, n // 8))  # a bin index fits 16 bits
    counts = np.empty(bins, dtype=np.int64)
    slot = np.empty(bins, dtype=np.int64)
    bin_of = np.empty(n_k, dtype=np.int64)
    rank_of = np.empty(n_k, dtype=np.int64)
    index = np.empty(n, dtype=np.uint16)
    # a sample of 16-256 values (sorting it costs far less than a pass over the row)
    stride = max(1, n // min(256, max(16, n // 64)))
    m = (n + stride - 1) // stride
    sample = np.empty(m)
    # sample positions beyond the first and last wanted ones (≥ 4σ of a sample quantile's
    # position at P5): the bins hold the wanted values all but surely
    margin = max(4, int(np.sqrt(m)))
    for r in range(n_rows):
        row = rows[r]
        for s in range(m):
            sample[s] = row[s * stride]
        sample.sort()
        lo = sample[max(0, ks[0] * m // n - margin)]
        hi = sample[min(m - 1, ks[n_k - 1] * m // n + margin)]
        # a range too narrow to bin (or one whose width might overflow): the row's
        if not _binnable(lo, hi, bins):
            lo = row[0]
            hi = row[0]
            for i in range(n):
                if row[i] < lo:
                    lo = row[i]
                if row[i] > hi:
                    hi = row[i]
        if not _binnable(lo, hi, bins):
            ordered = np.sort(row)  # all equal, or a range too narrow (or wide) to bin
            for j in range(n_k):
                out[r, j] = ordered[ks[j]]
            continue
        span = hi - lo
        scale = bins / span
        top = bins - 0.5
        # each value's bin (values beyond the range are clamped to it first), in a loop
        # of its own that runs branch-free on SIMD lanes (far faster than one loop that also
        # counts: 0,17 against 1,95 ns per value here, a throw-away measurement); then the
        # counts
        for i in range(n):
            index[i] = np.uint16(min((min(max(row[i], lo), hi) - lo) * scale, top))
        counts[:] = 0
        for i in range(n):
            counts[index[i]] += 1
        # the bin of each wanted position and its rank there
        below = 0
        j = 0
        for b in range(bins):
            while j < n_k and ks[j] < below + counts[b]:
                bin_of[j] = b
                rank_of[j] = ks[j] - below
                j += 1
            below += counts[b]
        slot[:] = -1
        size = 0
        for j in range(n_k):
            if slot[bin_of[j]] < 0:
                slot[bin_of[j]] = size
                size += counts[bin_of[j]]
        gathered = np.empty(size)
        fill = np.zeros(size, dtype=np.int64)  # next free place per slot start
        for i in range(n):
            start = slot[index[i]]
            if start >= 0:
                gathered[start + fill[start]] = row[i]
                fill[start] += 1
        for j in range(n_k):
            start = slot[bin_of[j]]
            if j == 0 or bin_of[j] != bin_of[j - 1]:
                gathered[start : start + counts[bin_of[j]]].sort()
            out[r, j] = gathered[start + rank_of[j]]
