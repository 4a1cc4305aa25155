"""Loop primitives of cinn.Schedule: IR after each primitive, numerics, trace replay."""

import numpy as np

import cinn
from programs import elementwise, matmul


def check_ew(sch, M=32, N=48):
    a = np.random.default_rng(0).standard_normal((M, N)).astype("float32")
    np.testing.assert_array_equal(cinn.build(sch)(a), a * 2)


def test_split_ir_and_numerics():
    _, _, f = elementwise()
    sch = cinn.Schedule(f)
    i, j = sch.get_loops("B")
    jo, ji = sch.split(j, [None, 16])
    assert (jo.name, ji.name) == ("j_0", "j_1")
    s = str(sch)
    assert "for (j_0, 0, 3)" in s and "for (j_1, 0, 16)" in s and "vj:spatial[0, 48]=j_0 * 16 + j_1" in s
    check_ew(sch)


def test_non_dividing_split_is_guarded():
    _, _, f = elementwise()
    sch = cinn.Schedule(f)
    i, j = sch.get_loops("B")
    sch.split(j, [None, 10])
    assert "if (j_0 * 10 + j_1 < 48)" in str(sch)
    check_ew(sch)


def test_fuse_and_reorder():
    _, _, f = elementwise()
    sch = cinn.Schedule(f)
    i, j = sch.get_loops("B")
    sch.reorder(j, i)
    assert str(sch).index("for (j, 0, 48)") < str(sch).index("for (i, 0, 32)")
    check_ew(sch)
    j, i = sch.get_loops("B")
    fused = sch.fuse(j, i)
    assert "for (j_i_fused, 0, 1536)" in str(sch)
    sch.parallel(fused)
    check_ew(sch)


def test_matmul_tiling_numerics():
    f = matmul()
    sch = cinn.Schedule(f)
    i, j, k = sch.get_loops("C")
    io, ii = sch.split(i, [None, 4])
    jo, ji = sch.split(j, [None, 16])
    sch.reorder(io, jo, k, ii, ji)
    sch.unroll(ii)
    sch.vectorize(ji)
    sch.parallel(io)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((32, 24)).astype("float32")
    b = rng.standard_normal((24, 64)).astype("float32")
    np.testing.assert_allclose(cinn.build(sch)(a, b), a @ b, rtol=1e-4, atol=1e-4)


def test_trace_round_trip_gives_identical_ir():
    sch = cinn.Schedule(matmul())
    i, j, k = sch.get_loops("C")
    io, ii = sch.split(i, [None, 4])
    jo, ji = sch.split(j, [None, 16])
    sch.reorder(io, jo, k, ii, ji)
    sch.vectorize(ji)
    again = cinn.Schedule.replay(matmul(), sch.trace)
    assert str(again) == str(sch)
    assert again.trace == sch.trace
