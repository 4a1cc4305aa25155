"""Counter-based random numbers: the philox_uniform intrinsic (Philox4x32-10), the
random_uniform primitive and the dropout composite, checked bit for bit against the numpy
Philox of tests/python/philox.py, itself checked against Random123's known answers."""

import numpy as np
import pytest
import torch

import cinn
from cinn import lang
from philox import philox4x32_10, philox_uniform

STREAMS = 65536  # random_uniform: counter high word = key[1] * 65536 + rng_stream

# Random123's kat_vectors for philox4x32 with 10 rounds: counter, key, result.
KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]


def emulator():
    t = cinn.Target.cuda()
    t.backend = "cuda_emulator"
    return t


@pytest.mark.parametrize("counter,key,want", KAT)
def test_numpy_reference_matches_random123(counter, key, want):
    assert [int(w) for w in philox4x32_10(counter, key)] == want


def philox_kernel(target=None, vector=None):
    n = lang.Var("n")
    S = lang.placeholder((n,), "int64", "S")
    T = lang.placeholder((n,), "int64", "T")
    I = lang.placeholder((n,), "int64", "I")
    U = lang.compute((n,), lambda i: lang.philox_uniform(S[i], T[i], I[i]), "U")
    f = lang.lower("philox", [S, T, I, U])
    if vector:
        sch = cinn.Schedule(f)
        (i,) = sch.get_loops("U")
        _, inner = sch.split(i, [-1, vector])
        sch.vectorize(inner)
        f = sch
    return cinn.build(f, target=target)


def words(lo, hi):
    return np.int64(np.uint64((hi << 32) | lo).astype(np.int64))


@pytest.mark.parametrize("backend", ["llvm", "llvm_vector16", "cuda_emulator"])
def test_intrinsic_is_bit_exact(backend, rng):
    if backend == "cuda_emulator" and not cinn.nvrtc_available()[0]:
        pytest.skip("no NVRTC: " + cinn.nvrtc_available()[1])
    kern = philox_kernel(target=emulator() if backend == "cuda_emulator" else None,
                         vector=16 if backend == "llvm_vector16" else None)
    # Random 64-bit seeds, streams and indices (negative ones are their two's complement
    # bits), and the known-answer counters and keys: their first word's top 24 bits.
    n = 4096
    s = rng.integers(-2**63, 2**63 - 1, n, dtype=np.int64)
    t = rng.integers(-2**63, 2**63 - 1, n, dtype=np.int64)
    i = rng.integers(0, 2**62, n, dtype=np.int64)
    for k, (c, key, _) in enumerate(KAT):
        s[k] = words(key[0], key[1])
        i[k] = words(c[0], c[1])
        t[k] = words(c[2], c[3])
    u = np.zeros(n, np.float32)
    kern(s, t, i, u)
    np.testing.assert_array_equal(u, philox_uniform(s, t, i))
    for k, (_, _, want) in enumerate(KAT):
        assert u[k] == np.float32((want[0] >> 8) * 2.0 ** -24)
    assert (u >= 0).all() and (u < 1).all()


def test_bitwise_intrinsics(rng):
    n = lang.Var("n")
    A = lang.placeholder((n,), "int32", "A")
    B = lang.placeholder((n,), "int32", "B")
    U = lang.placeholder((n,), "uint8", "U")
    outs = [lang.compute((n,), lambda i: lang.bitwise_and(A[i], B[i]), "And"),
            lang.compute((n,), lambda i: lang.bitwise_or(A[i], B[i]), "Or"),
            lang.compute((n,), lambda i: lang.bitwise_xor(A[i], B[i]), "Xor"),
            lang.compute((n,), lambda i: lang.shift_left(A[i], B[i] % 32), "Shl"),
            lang.compute((n,), lambda i: lang.shift_right(A[i], B[i] % 32), "Shr"),
            lang.compute((n,), lambda i: lang.shift_right(U[i], lang.cast(B[i] % 8, "uint8")), "UShr"),
            lang.compute((n,), lambda i: lang.shift_left(U[i], lang.cast(B[i] % 8, "uint8")), "UShl")]
    f = lang.lower("bits", [A, B, U] + outs)
    a = rng.integers(-2**31, 2**31 - 1, 1000, dtype=np.int32)
    b = rng.integers(-2**31, 2**31 - 1, 1000, dtype=np.int32)
    u = rng.integers(0, 255, 1000, dtype=np.uint8)
    sh = (b % 32).astype(np.int32)
    want = [a & b, a | b, a ^ b, (a.astype(np.int64) << sh).astype(np.int32), a >> sh,
            u >> (b % 8).astype(np.uint8), (u.astype(np.int32) << (b % 8)).astype(np.uint8)]
    targets = [None] + ([emulator()] if cinn.nvrtc_available()[0] else [])
    for target in targets:
        got = [np.zeros(1000, w.dtype) for w in want]
        cinn.build(f, target=target)(a, b, u, *got)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_bitwise_intrinsics_reject_floats():
    A = lang.placeholder((4,), "float32", "A")
    with pytest.raises(cinn.DTypeError, match="bitwise_xor.*expects an integer argument, got float32"):
        lang.compute((4,), lambda i: lang.bitwise_xor(A[i], A[i]), "X")
    with pytest.raises(cinn.DTypeError, match="philox_uniform.*expects an integer argument"):
        lang.compute((4,), lambda i: lang.philox_uniform(A[i], A[i], A[i]), "X")


def random_program(shape, p=0.25):
    b = cinn.NetBuilder("random")
    key = b.input([2], "int64", name="key")
    x = b.input(shape, name="x")
    u = b.random_uniform(key, shape)
    v = b.random_uniform(key, [7], dtype="float64")
    y = b.dropout(x, key, p=p)
    return b.build([u, v, y])


@pytest.mark.parametrize("target", ["host", "cuda_emulator"])
def test_random_uniform_and_dropout_match_the_reference(target, rng):
    if target == "cuda_emulator" and not cinn.nvrtc_available()[0]:
        pytest.skip("no NVRTC: " + cinn.nvrtc_available()[1])
    shape = [3, 37, 129]
    exe = cinn.compile(random_program(shape), target=emulator() if target != "host" else None)
    x = rng.standard_normal(shape).astype(np.float32)
    for key in ([0, 0], [20261123, 5], [-1, 2**40]):
        k = np.array(key, np.int64)
        u, v, y = exe(key=k, x=x)
        n = int(np.prod(shape))
        # Streams are numbered in build order: u 0, v 1, dropout 2.
        want_u = philox_uniform(k[0], k[1] * STREAMS, np.arange(n)).reshape(shape)
        np.testing.assert_array_equal(u, want_u)
        np.testing.assert_array_equal(v, philox_uniform(k[0], k[1] * STREAMS + 1, np.arange(7)).astype(np.float64))
        keep = philox_uniform(k[0], k[1] * STREAMS + 2, np.arange(n)).reshape(shape) >= np.float32(0.25)
        np.testing.assert_allclose(y, np.where(keep, x * np.float32(1 / 0.75), 0), rtol=1e-6, atol=0)
        assert 0.73 < keep.mean() < 0.77


def test_dropout_statistics_and_streams():
    b = cinn.NetBuilder("streams")
    key = b.input([2], "int64", name="key")
    ones = b.input([256, 256], name="ones")
    ys = [b.dropout(ones, key, p=p) for p in (0.1, 0.5, 0.9)]
    same = b.dropout(ones, key, p=0.5, rng_stream=1)  # the stream of ys[1], given explicitly
    exe = cinn.compile(b.build(ys + [same]))
    k = np.array([7, 0], np.int64)
    outs = exe(key=k, ones=np.ones((256, 256), np.float32))
    for y, p in zip(outs, (0.1, 0.5, 0.9)):
        kept = y != 0
        # 65536 Bernoulli(1 - p) draws: 5 standard deviations.
        assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / kept.size)
        np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)
        assert abs(y.mean() - 1) < 0.05  # the scaling keeps the expectation
    np.testing.assert_array_equal(outs[3], outs[1])
    assert (outs[0] != 0).mean() != (outs[1] != 0).mean()
    # A new step, a new mask; the same key, the same mask.
    again = exe(key=k, ones=np.ones((256, 256), np.float32))
    np.testing.assert_array_equal(again[1], outs[1])
    nxt = exe(key=np.array([7, 1], np.int64), ones=np.ones((256, 256), np.float32))
    assert 0.4 < ((nxt[1] != 0) == (outs[1] != 0)).mean() < 0.6


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_edge_probabilities(p, rng):
    b = cinn.NetBuilder("edge")
    key = b.input([2], "int64", name="key")
    x = b.input([5, 6], name="x")
    exe = cinn.compile(b.build([b.dropout(x, key, p=p)]))
    xv = rng.standard_normal((5, 6)).astype(np.float32)
    (y,) = exe(key=np.array([1, 2], np.int64), x=xv)
    np.testing.assert_array_equal(y, xv if p == 0 else np.zeros_like(xv))


def test_dropout_gradient_uses_the_forward_mask(rng):
    """d/dx sum(dropout(x) * w) = mask * w / (1 - p), with the mask of the forward pass."""
    b = cinn.NetBuilder("grad")
    key = b.input([2], "int64", name="key")
    x = b.input([64, 33], name="x")
    w = b.input([64, 33], name="w")
    y = b.dropout(x, key, p=0.3)
    loss = b.reduce(b.mul(y, w), "sum")
    g = cinn.grad(b.build([loss, y]), loss, wrt=[x])
    exe = cinn.compile(g)
    xv = rng.standard_normal((64, 33)).astype(np.float32)
    wv = rng.standard_normal((64, 33)).astype(np.float32)
    _, gx, yv = exe(key=np.array([3, 9], np.int64), x=xv, w=wv)  # loss, gradient, y
    keep = yv != 0
    np.testing.assert_allclose(gx, np.where(keep, wv / np.float32(0.7), 0), rtol=1e-6)
    xt = torch.tensor(xv, requires_grad=True)
    (torch.tensor(keep) * xt / 0.7 * torch.tensor(wv)).sum().backward()
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_random_errors():
    b = cinn.NetBuilder("bad")
    k32 = b.input([2], "int32", name="k32")
    k3 = b.input([3], "int64", name="k3")
    key = b.input([2], "int64", name="key")
    x = b.input([4], name="x")
    i = b.input([4], "int32", name="i")
    with pytest.raises(cinn.DTypeError, match=r"op 'random_uniform': key must be int64, got int32\[2\]"):
        b.random_uniform(k32, [4])
    with pytest.raises(cinn.ShapeError, match=r"op 'random_uniform': key must have shape \[2\] \(seed, step\)"):
        b.random_uniform(k3, [4])
    with pytest.raises(cinn.DTypeError, match="op 'random_uniform': dtype must be a float type, got int32"):
        b.random_uniform(key, [4], dtype="int32")
    with pytest.raises(cinn.Error, match=r"op 'random_uniform': rng_stream must be in \[0, 65536\), got 65536"):
        b.random_uniform(key, [4], rng_stream=65536)
    with pytest.raises(cinn.Error, match=r"op 'dropout': p must be in \[0, 1\], got 1.5"):
        b.dropout(x, key, p=1.5)
    with pytest.raises(cinn.DTypeError, match="op 'dropout'.*x.*float"):
        b.dropout(i, key)
    with pytest.raises(cinn.DTypeError, match="op 'random_uniform': key must be int64"):
        b.dropout(x, k32)
