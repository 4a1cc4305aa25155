"""Illegal schedules: each raises cinn.ScheduleError with a message naming the offending
loop or block and what was expected. (Dependence-based checks on hand-built IR, which the
DSL cannot express, are in tests/cpp/ir/errors.)"""

import pytest

import cinn
from cinn import lang
from programs import elementwise, matmul


def two_consumers():
    """B feeds C and D, which live in separate loop nests."""
    A = lang.placeholder((16, 16), "float32", "A")
    B = lang.compute((16, 16), lambda i, j: A[i, j] + 1.0, "B")
    C = lang.compute((16, 16), lambda i, j: B[i, j] * 2.0, "C")
    D = lang.compute((16, 16), lambda i, j: B[i, j] * 3.0 + C[i, j], "D")
    return lang.lower("two", [A, D])



def test_parallel_reduction_loop_is_rejected():
    sch = cinn.Schedule(matmul())
    i, j, k = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError, match="loop 'k'.*carries the reduction of block 'C'"):
        sch.parallel(k)


def test_vectorize_reduction_loop_is_rejected():
    sch = cinn.Schedule(matmul())
    i, j, k = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError, match="carries the reduction"):
        sch.vectorize(k)


def test_split_with_factor_zero():
    sch = cinn.Schedule(elementwise()[2])
    i, j = sch.get_loops("B")
    with pytest.raises(cinn.ScheduleError, match="factor 0 must be positive"):
        sch.split(j, [0, 16])


def test_split_factors_too_small():
    sch = cinn.Schedule(elementwise()[2])
    i, j = sch.get_loops("B")
    with pytest.raises(cinn.ScheduleError, match="multiply to 32, less than the extent 48"):
        sch.split(j, [2, 16])


def test_loop_from_another_function():
    s1 = cinn.Schedule(elementwise()[2])
    s2 = cinn.Schedule(elementwise()[2])
    i, j = s1.get_loops("B")
    with pytest.raises(cinn.ScheduleError, match="another function's schedule"):
        s2.parallel(i)


def test_stale_loop_handle():
    sch = cinn.Schedule(elementwise()[2])
    i, j = sch.get_loops("B")
    sch.split(j, [None, 16])
    with pytest.raises(cinn.ScheduleError, match="no longer exists"):
        sch.vectorize(j)


def test_fuse_non_adjacent_loops():
    sch = cinn.Schedule(matmul())
    i, j, k = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError, match="perfectly nested"):
        sch.fuse(i, k)


def test_unknown_block():
    sch = cinn.Schedule(elementwise()[2])
    with pytest.raises(cinn.ScheduleError, match="no block named 'X'.*blocks: B"):
        sch.get_loops("X")


def test_vectorize_symbolic_extent():
    n = lang.Var("n")
    A = lang.placeholder((n,), "float32", "A")
    B = lang.compute((n,), lambda i: A[i] + 1.0, "B")
    sch = cinn.Schedule(lang.lower("f", [A, B]))
    (i,) = sch.get_loops("B")
    with pytest.raises(cinn.ScheduleError, match="constant extent"):
        sch.vectorize(i)


def test_malformed_trace():
    with pytest.raises(cinn.ScheduleError, match="malformed schedule trace"):
        cinn.Schedule.replay(elementwise()[2], '[{"kind": "split", "inputs": [')


def test_compute_at_loop_not_covering_consumers():
    sch = cinn.Schedule(two_consumers())
    i, j = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError,
                       match="loop 'i'.*does not cover the region of 'B' consumed by block 'D'"):
        sch.compute_at("B", i)


def test_compute_at_of_function_output():
    sch = cinn.Schedule(two_consumers())
    i, j = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError, match="writes 'D', an argument"):
        sch.compute_at("D", i)


def test_bind_same_axis_twice():
    sch = cinn.Schedule(elementwise()[2])
    i, j = sch.get_loops("B")
    sch.bind(i, "threadIdx.x")
    with pytest.raises(cinn.ScheduleError,
                       match="cannot bind loop 'j'.*to threadIdx.x: loop 'i'.*already bound"):
        sch.bind(j, "threadIdx.x")


def test_bind_unknown_axis():
    sch = cinn.Schedule(elementwise()[2])
    i, j = sch.get_loops("B")
    with pytest.raises(cinn.ScheduleError, match="unknown GPU axis 'warp.x'"):
        sch.bind(i, "warp.x")


def test_bind_reduction_loop_to_blocks():
    sch = cinn.Schedule(matmul())
    i, j, k = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError, match="bind: loop 'k'.*carries the reduction.*use rfactor"):
        sch.bind(k, "blockIdx.x")


def test_cross_thread_reduction_needs_a_warp_multiple():
    sch = cinn.Schedule(matmul(K=24))
    i, j, k = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError,
                       match="bind: loop 'k'.*reduces block 'C' across threads; its extent must be a "
                             "constant multiple of the warp size"):
        sch.bind(k, "threadIdx.x")


def test_cross_thread_reduction_on_threadidx_y():
    sch = cinn.Schedule(matmul(K=64))
    i, j, k = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError, match="carries the reduction.*or bind it to threadIdx.x to reduce across threads"):
        sch.bind(k, "threadIdx.y")


def test_cross_thread_reduction_of_several_outputs():
    sch = cinn.Schedule(matmul(K=64))
    i, j, k = sch.get_loops("C")
    sch.reorder(k, i, j)
    with pytest.raises(cinn.ScheduleError,
                       match="spatial iter_var 'vi' bound inside loop 'k'.*combines the values of one output"):
        sch.bind(k, "threadIdx.x")


def test_compute_inline_reduction():
    A = lang.placeholder((8, 8), "float32", "A")
    k = lang.reduce_axis(8, "k")
    S = lang.compute((8,), lambda i: lang.sum(A[i, k], axis=k), "S")
    T = lang.compute((8,), lambda i: S[i] * 2.0, "T")
    sch = cinn.Schedule(lang.lower("f", [A, T]))
    with pytest.raises(cinn.ScheduleError, match="block 'S' is a reduction"):
        sch.compute_inline("S")


def test_compute_inline_function_output():
    sch = cinn.Schedule(elementwise()[2])
    with pytest.raises(cinn.ScheduleError, match="writes 'B', an argument"):
        sch.compute_inline("B")


def test_rfactor_of_spatial_loop():
    sch = cinn.Schedule(matmul())
    i, j, k = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError, match="loop 'i'.*must feed the reduce iter_vars"):
        sch.rfactor(i)


def test_reverse_compute_at_inside_reduction():
    A = lang.placeholder((8, 8), "float32", "A")
    k = lang.reduce_axis(8, "k")
    S = lang.compute((8,), lambda i: lang.sum(A[i, k], axis=k), "S")
    T = lang.compute((8,), lambda i: S[i] * 2.0, "T")
    sch = cinn.Schedule(lang.lower("f", [A, T]))
    i, kk = sch.get_loops("S")
    with pytest.raises(cinn.ScheduleError, match="loop 'k'.*carries the reduction of block 'S'"):
        sch.reverse_compute_at("T", kk)


def test_reverse_compute_at_region_that_is_not_a_box():
    """A run of a fused and split loop (rows of 12 in steps of 8) writes part of two rows
    per iteration; a consumer moved there would read the bounding box of both rows, values
    the loop has not computed yet: refused."""
    A = lang.placeholder((6, 12), "float32", "A")
    B = lang.compute((6, 12), lambda i, j: A[i, j] + 1.0, "B")
    C = lang.compute((6, 12), lambda i, j: B[i, j] * 2.0, "C")
    sch = cinn.Schedule(lang.lower("f", [A, C]))
    i, j = sch.get_loops("B")
    fo, _ = sch.split(sch.fuse(i, j), [None, 8])
    with pytest.raises(cinn.ScheduleError, match="reverse_compute_at.*block 'B' write 8 elements of 'B', not a box"):
        sch.reverse_compute_at("C", fo)


def test_layout_transform_not_one_to_one():
    sch = cinn.Schedule(matmul())
    sch.cache_read("C", "B", "global")
    with pytest.raises(cinn.ScheduleError, match="not a one-to-one blocked layout"):
        sch.layout_transform("B_global", lambda k, n: (n // 16, k))


def test_layout_transform_of_argument():
    sch = cinn.Schedule(matmul())
    with pytest.raises(cinn.ScheduleError, match="'B' is an argument.*cache_read"):
        sch.layout_transform("B", lambda k, n: (n // 16, k, n % 16))


def test_cache_read_of_unread_buffer():
    sch = cinn.Schedule(matmul())
    with pytest.raises(cinn.ScheduleError, match="block 'C' does not read 'C'"):
        sch.cache_read("C", "C", "local")


def test_unknown_memory_scope():
    sch = cinn.Schedule(matmul())
    with pytest.raises(cinn.ScheduleError, match="unknown memory scope 'texture'"):
        sch.cache_read("C", "A", "texture")


def test_decompose_reduction_outside_loop():
    sch = cinn.Schedule(two_consumers())
    i, j = sch.get_loops("C")
    with pytest.raises(cinn.ScheduleError, match="has no init"):
        sch.decompose_reduction("D", i)


def test_stale_block_handle():
    A = lang.placeholder((8,), "float32", "A")
    B = lang.compute((8,), lambda i: A[i] + 1.0, "B")
    C = lang.compute((8,), lambda i: B[i] * 2.0, "C")
    sch = cinn.Schedule(lang.lower("f", [A, C]))
    b = sch.get_block("B")
    sch.compute_inline(b)
    with pytest.raises(cinn.ScheduleError, match="block 'B' no longer exists"):
        sch.get_loops(b)


def test_sample_perfect_tile_symbolic_extent():
    n = lang.Var("n")
    A = lang.placeholder((n,), "float32", "A")
    B = lang.compute((n,), lambda i: A[i] + 1.0, "B")
    sch = cinn.Schedule(lang.lower("f", [A, B]))
    (i,) = sch.get_loops("B")
    with pytest.raises(cinn.ScheduleError, match="constant positive extent"):
        sch.sample_perfect_tile(i, 2, 8)


def test_storage_align_bad_offset():
    A = lang.placeholder((8, 8), "float32", "A")
    B = lang.compute((8, 8), lambda i, j: A[i, j] + 1.0, "B")
    C = lang.compute((8, 8), lambda i, j: B[i, j] * 2.0, "C")
    sch = cinn.Schedule(lang.lower("f", [A, C]))
    with pytest.raises(cinn.ScheduleError, match="0 <= offset < factor"):
        sch.storage_align("B", 0, 8, 9)
    with pytest.raises(cinn.ScheduleError, match="the last has stride 1"):
        sch.storage_align("B", 1, 8, 1)
