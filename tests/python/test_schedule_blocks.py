"""Block primitives of cinn.Schedule: IR after each primitive, numerics against numpy, and
trace replay to identical IR."""

import numpy as np
import pytest

import cinn
from cinn import lang

RTOL, ATOL = 1e-5, 1e-5  # float32 sums of <= 64 products of O(1) values


def matmul_relu(M=64, N=48, K=32, relu=True):
    A = lang.placeholder((M, K), "float32", "A")
    B = lang.placeholder((K, N), "float32", "B")
    k = lang.reduce_axis(K, "k")
    C = lang.compute((M, N), lambda i, j: lang.sum(A[i, k] * B[k, j], axis=k), "C")
    if not relu:
        return lang.lower("mm", [A, B, C])
    D = lang.compute((M, N), lambda i, j: lang.maximum(C[i, j], 0.0), "D")
    return lang.lower("mm_relu", [A, B, D])


def chain(M=32, N=40):
    """B = A * 2; C = B + 1; D = exp(C) (three elementwise stages)."""
    A = lang.placeholder((M, N), "float32", "A")
    B = lang.compute((M, N), lambda i, j: A[i, j] * 2.0, "B")
    C = lang.compute((M, N), lambda i, j: B[i, j] + 1.0, "C")
    D = lang.compute((M, N), lambda i, j: lang.call("exp", C[i, j]), "D")
    return lang.lower("chain", [A, D])


def run(sch, *args):
    out = cinn.build(sch)(*args)
    return out[-1] if isinstance(out, (list, tuple)) else out


def check_replay(func, sch):
    again = cinn.Schedule.replay(func, sch.trace)
    assert str(again) == str(sch)
    assert again.trace == sch.trace


@pytest.fixture
def mm_inputs(rng):
    return (rng.standard_normal((64, 32)).astype("float32"),
            rng.standard_normal((32, 48)).astype("float32"))


def test_get_blocks():
    sch = cinn.Schedule(chain())
    assert [b.name for b in sch.get_all_blocks()] == ["B", "C", "D"]
    i, j = sch.get_loops(sch.get_block("C"))
    assert [b.name for b in sch.get_child_blocks(i)] == ["C"]


def test_compute_inline(rng):
    f = chain()
    sch = cinn.Schedule(f)
    sch.compute_inline("B")
    s = str(sch)
    assert "block B" not in s and "allocate B" not in s
    assert "C[vi, vj] = A[vi, vj] * 2.0f + 1.0f" in s
    sch.compute_inline("C")
    assert sch.block_names() == ["D"] and "allocate" not in str(sch)
    a = rng.standard_normal((32, 40)).astype("float32")
    np.testing.assert_allclose(run(sch, a), np.exp(a * 2 + 1), rtol=1e-6)
    check_replay(f, sch)


def test_reverse_compute_inline(rng):
    f = chain()
    sch = cinn.Schedule(f)
    sch.reverse_compute_inline("D")
    s = str(sch)
    assert "block D" not in s and "allocate C" not in s
    assert "D[vi, vj] = exp(B[vi, vj] + 1.0f)" in s
    a = rng.standard_normal((32, 40)).astype("float32")
    np.testing.assert_allclose(run(sch, a), np.exp(a * 2 + 1), rtol=1e-6)
    check_replay(f, sch)


def test_compute_at_covers_tile(mm_inputs):
    f = matmul_relu()
    sch = cinn.Schedule(f)
    i, j = sch.get_loops("D")
    io, ii = sch.split(i, [None, 8])
    jo, ji = sch.split(j, [None, 16])
    sch.reorder(io, jo, ii, ji)
    sch.compute_at("C", jo)
    s = str(sch)
    # C now runs per 8x16 tile, inside jo, before D.
    assert "for (C_vi, 0, 8)" in s and "for (C_vj, 0, 16)" in s
    assert "vi:spatial[0, 64]=i_0 * 8 + C_vi" in s
    assert s.index("block C") < s.index("block D")
    a, b = mm_inputs
    np.testing.assert_allclose(run(sch, a, b), np.maximum(a @ b, 0), rtol=RTOL, atol=ATOL)
    check_replay(f, sch)


def test_compute_at_guards_partial_tiles(rng):
    """A tile that sticks out of the producer's domain is guarded."""
    A = lang.placeholder((30,), "float32", "A")
    B = lang.compute((30,), lambda i: A[i] + 1.0, "B")
    C = lang.compute((30,), lambda i: B[i] * 3.0, "C")
    f = lang.lower("g", [A, C])
    sch = cinn.Schedule(f)
    (i,) = sch.get_loops("C")
    io, ii = sch.split(i, [None, 8])
    sch.compute_at("B", io)
    assert "if (i_0 * 8 + B_vi < 30)" in str(sch)
    a = rng.standard_normal(30).astype("float32")
    np.testing.assert_allclose(run(sch, a), (a + 1) * 3, rtol=1e-6)
    check_replay(f, sch)


def test_compute_at_stencil_region(rng):
    """A consumer reading i-1, i, i+1 needs a producer region of tile + 2."""
    A = lang.placeholder((66,), "float32", "A")
    B = lang.compute((66,), lambda i: A[i] * 2.0, "B")
    C = lang.compute((64,), lambda i: B[i] + B[i + 1] + B[i + 2], "C")
    f = lang.lower("stencil", [A, C])
    sch = cinn.Schedule(f)
    (i,) = sch.get_loops("C")
    io, ii = sch.split(i, [None, 16])
    sch.compute_at("B", io)
    assert "for (B_vi, 0, 18)" in str(sch)
    a = rng.standard_normal(66).astype("float32")
    b = a * 2
    np.testing.assert_allclose(run(sch, a), b[:-2] + b[1:-1] + b[2:], rtol=1e-5)
    check_replay(f, sch)


def test_reverse_compute_at(mm_inputs):
    f = matmul_relu()
    sch = cinn.Schedule(f)
    i, j, k = sch.get_loops("C")
    io, ii = sch.split(i, [None, 8])
    jo, ji = sch.split(j, [None, 16])
    sch.reorder(io, jo, ii, ji)
    sch.reverse_compute_at("D", jo)
    s = str(sch)
    assert "for (D_vi, 0, 8)" in s and "vi:spatial[0, 64]=i_0 * 8 + D_vi" in s
    a, b = mm_inputs
    np.testing.assert_allclose(run(sch, a, b), np.maximum(a @ b, 0), rtol=RTOL, atol=ATOL)
    check_replay(f, sch)


def test_rfactor_vectorizes_row_sum(rng):
    M, N = 8, 100
    X = lang.placeholder((M, N), "float32", "X")
    k = lang.reduce_axis(N, "k")
    S = lang.compute((M,), lambda i: lang.sum(X[i, k], axis=k), "S")
    f = lang.lower("rowsum", [X, S])
    sch = cinn.Schedule(f)
    i, kk = sch.get_loops("S")
    ko, ki = sch.split(kk, [None, 16])
    rf = sch.rfactor(ki)
    assert rf.name == "S_rf"
    s = str(sch)
    assert "allocate S_rf: float32[8, 16]" in s
    assert "k_1_rf:spatial[0, 16]=k_1" in s and "k_0_r:reduce[0, 7]=k_0" in s
    # ki is now spatial in S_rf: it can be vectorized.
    sch.vectorize(ki)
    x = rng.standard_normal((M, N)).astype("float32")
    np.testing.assert_allclose(run(sch, x), x.sum(axis=1), rtol=1e-5, atol=1e-5)
    check_replay(f, sch)


def test_cache_read_pack_and_cache_write(mm_inputs):
    f = matmul_relu(relu=False)
    sch = cinn.Schedule(f)
    packed = sch.cache_read("C", "B", "global")
    sch.layout_transform(packed.name, lambda k, n: (n // 16, k, n % 16))
    local = sch.cache_write("C", "C", "local")
    s = str(sch)
    assert "allocate B_global: float32[3, 32, 16]" in s
    assert "B_global[v1 / 16, v0, v1 % 16] = B[v0, v1]" in s
    assert "allocate C_local: float32[64, 48] local" in s
    i, j, k = sch.get_loops("C")
    io, ii = sch.split(i, [None, 8])
    jo, ji = sch.split(j, [None, 16])
    sch.reorder(io, jo, k, ii, ji)
    sch.reverse_compute_at(local, jo)
    init = sch.decompose_reduction("C", k)
    assert init.name == "C_init" and "init {" not in str(sch)
    sch.vectorize(ji)
    sch.parallel(io)
    a, b = mm_inputs
    np.testing.assert_allclose(run(sch, a, b), a @ b, rtol=RTOL, atol=ATOL)
    check_replay(f, sch)


def _row_softmax(M=16, N=48):
    A = lang.placeholder((M, N), "float32", "A")
    k = lang.reduce_axis(N, "k")
    mx = lang.compute((M,), lambda i: lang.max(A[i, k], axis=k), "mx")
    k2 = lang.reduce_axis(N, "k2")
    s = lang.compute((M,), lambda i: lang.sum(lang.exp(A[i, k2] - mx[i]), axis=k2), "s")
    out = lang.compute((M, N), lambda i, j: lang.exp(A[i, j] - mx[i]) / s[i], "out")
    return lang.lower("row_softmax", [A, out])


def test_cache_read_shared_by_the_consumers_of_one_nest(rng):
    """cache_read with a list of blocks: one copy of A per row serves the row's max, sum and
    output; blocks of other nests cannot share it."""
    f = _row_softmax()
    sch = cinn.Schedule(f)
    i, _ = sch.get_loops("out")
    sch.compute_at("s", i)
    sch.compute_at("mx", i)
    c = sch.cache_read(["mx", "s", "out"], "A", "local")
    sch.compute_at(c, i)
    s = str(sch)
    # One copy per row; the max, the sum and the output read it.
    assert s.count("reads: A[") == 1 and s.count("reads: A_local[") == 3, s
    a = rng.standard_normal((16, 48)).astype("float32")
    e = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(run(sch, a), e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)
    check_replay(f, sch)
    other = cinn.Schedule(f)  # nothing moved: mx and out are separate nests
    with pytest.raises(cinn.ScheduleError, match="'mx' and 'out' are in different loop nests"):
        other.cache_read(["mx", "out"], "A", "local")
    with pytest.raises(cinn.ScheduleError, match="'mx' is given twice"):
        cinn.Schedule(f).cache_read(["mx", "mx"], "A", "local")


def test_set_scope_bind_annotate():
    f = chain()
    sch = cinn.Schedule(f)
    sch.set_scope("B", "local")
    assert "allocate B: float32[32, 40] local" in str(sch)
    sch.annotate("C", "pragma", "unroll")
    i, j = sch.get_loops("D")
    sch.bind(i, "blockIdx.x")
    sch.bind(j, "threadIdx.x")
    assert "blockIdx.x for (i, 0, 32)" in str(sch) and "threadIdx.x for (j, 0, 40)" in str(sch)
    check_replay(f, sch)
    with pytest.raises(cinn.CompileError, match="bound to blockIdx.x, which x86 cannot run"):
        cinn.build(sch)


def test_sampling_is_recorded_and_replayed():
    f = matmul_relu(relu=False)
    sch = cinn.Schedule(f, seed=7)
    i, j, k = sch.get_loops("C")
    tile = sch.sample_perfect_tile(i, 3, 8)
    assert len(tile) == 3 and np.prod(tile) == 64 and tile[-1] <= 8
    c = sch.sample_categorical([1, 2, 4], [0.2, 0.3, 0.5])
    assert c in (1, 2, 4)
    sch.split(i, tile)
    again = cinn.Schedule.replay(f, sch.trace)
    assert str(again) == str(sch) and again.trace == sch.trace
    # Different seeds explore different tiles.
    tiles = set()
    for seed in range(20):
        s = cinn.Schedule(f, seed=seed)
        tiles.add(tuple(s.sample_perfect_tile(s.get_loops("C")[0], 3, 8)))
    assert len(tiles) > 3


def test_storage_align_pads_the_row_stride(rng):
    f = chain()
    sch = cinn.Schedule(f)
    sch.storage_align("B", axis=0, factor=32, offset=1)
    assert "allocate B: float32[32, 65]" in str(sch)  # stride 65 = 1 (mod 32)
    a = rng.standard_normal((32, 40)).astype("float32")
    np.testing.assert_allclose(run(sch, a), np.exp(a * 2 + 1), rtol=1e-6)
    check_replay(f, sch)


@pytest.mark.parametrize("n", [13, 16])
@pytest.mark.parametrize("cond", ["k>=i", "k>=i+3", "i<k<i+5"])
@pytest.mark.parametrize("split_i", [False, True])
def test_reduction_with_where_keeps_its_init_after_split(rng, n, cond, split_i):
    """`where` shifts the reduce domain by i (vk = i + k_0 * 4 + k_1 after the split): the
    init still runs once per row, before its reduction, and rows whose domain is empty
    (k >= i + 3 near the end) hold 0."""
    A = lang.placeholder((n, n), "float32", "A")
    k = lang.reduce_axis(n, "k")
    where = {"k>=i": lambda i: k >= i, "k>=i+3": lambda i: k >= i + 3,
             "i<k<i+5": lambda i: (k > i) & (k < i + 5)}[cond]
    C = lang.compute((n,), lambda i: lang.sum(A[i, k], axis=k, where=where(i)), "C")
    f = lang.lower("masked_rows", [A, C])
    sch = cinn.Schedule(f)
    i, kk = sch.get_loops("C")
    if split_i:
        sch.split(i, [None, 4])
    sch.split(kk, [None, 4])
    a = rng.standard_normal((n, n)).astype("float32")
    I, K = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    mask = {"k>=i": K >= I, "k>=i+3": K >= I + 3, "i<k<i+5": (K > I) & (K < I + 5)}[cond]
    np.testing.assert_allclose(run(sch, a), (a * mask).sum(axis=1), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["sum", "max", "min"])
def test_rfactor_by_a_factor_above_the_extent(rng, kind):
    """split(k, [None, 16]) of a 10-long row leaves rfactor slots 10..15 that no k reaches:
    they hold the identity, so combining them changes nothing."""
    M, N = 4, 10
    X = lang.placeholder((M, N), "float32", "X")
    k = lang.reduce_axis(N, "k")
    S = lang.compute((M,), lambda i: getattr(lang, kind)(X[i, k], axis=k), "S")
    sch = cinn.Schedule(lang.lower("row_" + kind, [X, S]))
    _, kk = sch.get_loops("S")
    _, ki = sch.split(kk, [None, 16])
    sch.rfactor(ki)
    for sign in (1, -1):  # all-positive and all-negative rows: a zero slot would show
        x = sign * (1 + np.abs(rng.standard_normal((M, N)))).astype("float32")
        np.testing.assert_allclose(run(sch, x), getattr(x, kind)(axis=1), rtol=RTOL, atol=ATOL)


def test_fused_spatial_and_reduce_loop_keeps_one_init_per_output(rng):
    """fuse(i, k_0) gives a loop carrying part of each row's reduction (vi = f / 2): the init
    stays guarded on the first reduce value rather than running every iteration of f."""
    M, N = 6, 8
    X = lang.placeholder((M, N), "float32", "X")
    k = lang.reduce_axis(N, "k")
    S = lang.compute((M,), lambda i: lang.sum(X[i, k], axis=k), "S")
    sch = cinn.Schedule(lang.lower("rowsum", [X, S]))
    i, kk = sch.get_loops("S")
    ko, _ = sch.split(kk, [2, None])
    sch.fuse(i, ko)
    x = rng.standard_normal((M, N)).astype("float32")
    np.testing.assert_allclose(run(sch, x), x.sum(axis=1), rtol=RTOL, atol=ATOL)
