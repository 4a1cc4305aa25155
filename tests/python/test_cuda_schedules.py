"""Hand-written GPU schedules with cross-thread reductions (a reduce loop bound to
threadIdx.x), run under the CUDA emulator (backend "cuda_emulator": the CUDA C of the cuda
backend compiled for the host) and checked against numpy; compiled by NVRTC where present."""

import numpy as np
import pytest

import cinn
from cinn import lang
from programs import matmul

NVRTC, NVRTC_WHY = cinn.nvrtc_available()


def emulator():
    t = cinn.Target.cuda()
    t.backend = "cuda_emulator"
    return t


def build_both(sch):
    """The emulated kernel; the same schedule also compiles through NVRTC when available."""
    if NVRTC:
        src = cinn.build(sch, target=cinn.Target.cuda()).source()
        assert "cinn_block_reduce_" in src and "__shfl_xor_sync" in src
    return cinn.build(sch, target=emulator())


def test_matmul_with_k_across_threads(rng):
    sch = cinn.Schedule(matmul(M=8, N=12, K=64))
    i, j, k = sch.get_loops("C")
    sch.bind(i, "blockIdx.x")
    sch.bind(j, "blockIdx.y")
    sch.bind(k, "threadIdx.x")
    a = rng.standard_normal((8, 64)).astype("float32")
    b = rng.standard_normal((64, 12)).astype("float32")
    np.testing.assert_allclose(build_both(sch)(a, b), a @ b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("reducer,np_fn,dtype", [
    (lang.sum, np.sum, "float32"), (lang.max, np.max, "float32"), (lang.min, np.min, "float64"),
    (lang.sum, np.sum, "int32"), (lang.max, np.max, "int64"), (lang.prod, np.prod, "float64"),
])
def test_row_reduction_with_a_partial_last_tile(rng, reducer, np_fn, dtype):
    n = 1000 if dtype != "float64" or reducer is not lang.prod else 100
    A = lang.placeholder((6, n), dtype, "A")
    k = lang.reduce_axis(n, "k")
    S = lang.compute((6,), lambda i: reducer(A[i, k], axis=k), "S")
    sch = cinn.Schedule(lang.lower("rows", [A, S]))
    i, kk = sch.get_loops("S")
    sch.bind(i, "blockIdx.x")
    ko, ki = sch.split(kk, [-1, 128])
    sch.reorder(ki, ko)
    sch.bind(ki, "threadIdx.x")
    if dtype.startswith("int"):
        a = rng.integers(-1000, 1000, (6, n)).astype(dtype)
    else:
        a = (rng.standard_normal((6, n)) * (0.1 if reducer is lang.prod else 1) + (1 if reducer is lang.prod else 0)).astype(dtype)
    got = build_both(sch)(a)
    want = np_fn(a, axis=1)
    if dtype.startswith("int"):
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_block_reduction_under_a_shorter_thread_loop_is_a_schedule_error():
    # Two nests under one blockIdx loop: the reduction's threads (32) are fewer than the
    # block (64), so part of the block would skip the barrier inside the reduction.
    A = lang.placeholder((4, 64), "float32", "A")
    k = lang.reduce_axis(32, "k")
    S = lang.compute((4,), lambda i: lang.sum(A[i, k], axis=k), "S")
    B = lang.compute((4, 64), lambda i, j: A[i, j] + S[i], "B")
    sch = cinn.Schedule(lang.lower("f", [A, B]))
    i, j = sch.get_loops("B")
    sch.compute_at("S", i)
    sch.set_scope("S", "shared")
    sch.bind(i, "blockIdx.x")
    sch.bind(j, "threadIdx.x")
    kk = sch.get_loops("S")[-1]
    sch.bind(kk, "threadIdx.x")
    with pytest.raises(cinn.ScheduleError, match="cross-thread reduction needs every thread of the block"):
        cinn.build(sch, target=emulator())


def test_thread_reduction_with_a_reduce_loop_outside_is_a_schedule_error():
    """split(k, [-1, 128]) then bind(ki, threadIdx.x) without reordering: the serial ko loop
    outside would overwrite the threads' result on each iteration."""
    A = lang.placeholder((6, 1000), "float32", "A")
    k = lang.reduce_axis(1000, "k")
    S = lang.compute((6,), lambda i: lang.sum(A[i, k], axis=k), "S")
    sch = cinn.Schedule(lang.lower("rows", [A, S]))
    i, kk = sch.get_loops("S")
    sch.bind(i, "blockIdx.x")
    ko, ki = sch.split(kk, [-1, 128])
    with pytest.raises(cinn.ScheduleError, match="loop 'k_0' outside .* also reduces block 'S'"):
        sch.bind(ki, "threadIdx.x")


@pytest.mark.parametrize("how", ["shared", "local", "cache_read"])
def test_shared_or_local_buffer_across_kernels_is_a_schedule_error(how):
    """A shared or local buffer whose producer was not compute_at into its consumer lands in
    another kernel, where it would be read before anything was written to it."""
    A = lang.placeholder((4, 64), "float32", "A")
    B1 = lang.compute((4, 64), lambda i, j: A[i, j] * 2.0, "B1")
    B = lang.compute((4, 64), lambda i, j: B1[i, j] + 1.0, "B")
    sch = cinn.Schedule(lang.lower("f", [A, B]))
    if how == "cache_read":
        name = sch.cache_read("B1", "A", "shared").name
    else:
        name = "B1"
        sch.set_scope("B1", how)
    for blk in dict.fromkeys((name, "B1", "B")):
        i, j = sch.get_loops(blk)
        sch.bind(i, "blockIdx.x")
        sch.bind(j, "threadIdx.x")
    scope = "local" if how == "local" else "shared"
    with pytest.raises(cinn.ScheduleError, match=f"buffer '{name}' is in {scope} memory, which lasts one kernel"):
        cinn.build(sch, target=emulator())


def test_thread_reduction_over_a_domain_shifted_by_where(rng):
    """where=k >= i shifts each row's reduce domain by i (vk = i + k_0 * 128 + k_1): the row
    loop pins the output rather than carrying the reduction, so it binds to blockIdx.x."""
    n = 300
    A = lang.placeholder((6, n), "float32", "A")
    k = lang.reduce_axis(n, "k")
    S = lang.compute((6,), lambda i: lang.sum(A[i, k], axis=k, where=k >= i * 40), "S")
    sch = cinn.Schedule(lang.lower("tails", [A, S]))
    i, kk = sch.get_loops("S")
    sch.bind(i, "blockIdx.x")
    ko, ki = sch.split(kk, [None, 128])
    sch.reorder(ki, ko)
    sch.bind(ki, "threadIdx.x")
    a = rng.standard_normal((6, n)).astype("float32")
    want = np.array([a[r, r * 40:].sum() for r in range(6)], "float32")
    np.testing.assert_allclose(build_both(sch)(a), want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("shift,vector", [(4, True), (1, False), (2, False)])
def test_vectorized_copy_is_one_move_only_when_aligned(rng, shift, vector):
    """A vectorized loop copying 4 consecutive floats becomes one 16-byte move when its first
    element is a multiple of 4 (here: A[i, j + shift] with rows of 1032); otherwise it stays
    a loop of scalar copies. Either way the emulated kernel is right."""
    A = lang.placeholder((64, 1032), "float32", "A")
    C = lang.compute((64, 1024), lambda i, j: A[i, j + shift] * 2.0, "C")
    sch = cinn.Schedule(lang.lower("shifted", [A, C]))
    i, j = sch.get_loops("C")
    jo, v = sch.split(j, [None, 4])
    sch.bind(i, "blockIdx.x")
    sch.bind(jo, "threadIdx.x")
    a_local = sch.cache_read("C", "A", "local")
    sch.compute_at(a_local, jo)
    sch.vectorize(sch.get_loops(a_local)[-1])
    sch.unroll(v)
    if NVRTC:
        src = cinn.build(sch, target=cinn.Target.cuda()).source()
        assert ("reinterpret_cast<const uint4*>(A +" in src) == vector, src
        assert "__align__(16) float A_local[4];" in src
    a = rng.standard_normal((64, 1032)).astype("float32")
    np.testing.assert_array_equal(cinn.build(sch, target=emulator())(a), a[:, shift:shift + 1024] * 2)
