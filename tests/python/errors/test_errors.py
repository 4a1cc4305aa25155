"""Bad input raises a clear cinn error and never crashes the process (acceptance item 4)."""

import numpy as np
import pytest

import cinn
from cinn import lang


def test_out_of_bounds_access_in_compute_is_shape_error():
    A = lang.placeholder((8, 4), "float32", "A")
    B = lang.compute((4, 8), lambda i, j: A[i, j], "B")  # A is 8x4, read as 4x8
    with pytest.raises(cinn.ShapeError, match=r"A\[i, j\] reaches A\[\d, [4-7]\]"):
        lang.lower("f", [A, B])


def test_wrong_number_of_indices_is_shape_error():
    A = lang.placeholder((8, 4), "float32", "A")
    with pytest.raises(cinn.ShapeError, match="'A' has 2 dimension"):
        lang.compute((8,), lambda i: A[i], "B")


def test_reduce_axis_outside_reduction():
    A = lang.placeholder((8,), "float32", "A")
    k = lang.reduce_axis(8, "k")
    with pytest.raises(cinn.Error, match="reduce axis 'k' is used outside"):
        lang.compute((8,), lambda i: A[k] + 1.0, "B")


def test_reduction_nested_in_expression():
    A = lang.placeholder((8, 8), "float32", "A")
    k = lang.reduce_axis(8, "k")
    with pytest.raises(cinn.Error, match="reduction must be the whole body"):
        lang.compute((8,), lambda i: lang.sum(A[i, k], axis=k) * 2.0, "B")


def test_mixed_dtypes_need_a_cast():
    A = lang.placeholder((8,), "float32", "A")
    B = lang.placeholder((8,), "int32", "B")
    with pytest.raises(cinn.DTypeError, match="insert an explicit cast"):
        lang.compute((8,), lambda i: A[i] + B[i], "C")


def test_unknown_intrinsic():
    A = lang.placeholder((8,), "float32", "A")
    with pytest.raises(cinn.UnsupportedOpError, match="unknown intrinsic 'frobnicate'"):
        lang.call("frobnicate", A[0])


def test_float_intrinsic_on_integers():
    A = lang.placeholder((8,), "int32", "A")
    with pytest.raises(cinn.DTypeError, match="expects a floating-point argument"):
        lang.compute((8,), lambda i: lang.exp(A[i]), "B")


def test_unknown_dtype():
    with pytest.raises(cinn.DTypeError, match="unknown dtype 'float33'"):
        lang.placeholder((8,), "float33", "A")


@pytest.fixture(scope="module")
def add_kernel():
    A = lang.placeholder((4, 5), "float32", "A")
    B = lang.compute((4, 5), lambda i, j: A[i, j] + 1.0, "B")
    return cinn.build(lang.lower("add1", [A, B]))


def test_call_with_wrong_dtype(add_kernel):
    with pytest.raises(cinn.DTypeError, match="'A' must have dtype float32, got float64"):
        add_kernel(np.zeros((4, 5)))


def test_call_with_wrong_shape(add_kernel):
    with pytest.raises(cinn.ShapeError, match="dimension 1 must be 5"):
        add_kernel(np.zeros((4, 6), "float32"))


def test_call_with_wrong_rank(add_kernel):
    with pytest.raises(cinn.ShapeError, match="must have 2 dimension"):
        add_kernel(np.zeros((20,), "float32"))


def test_call_with_non_contiguous_array(add_kernel):
    a = np.zeros((5, 4), "float32").T
    with pytest.raises(cinn.ExecutionError, match="C-contiguous"):
        add_kernel(a)


def test_call_with_wrong_argument_count(add_kernel):
    with pytest.raises(cinn.ExecutionError, match="takes 2 arrays"):
        add_kernel(np.zeros((4, 5), "float32"), np.zeros((4, 5), "float32"), np.zeros(1))


def test_call_with_non_array(add_kernel):
    with pytest.raises(cinn.ExecutionError, match="must be a numpy array"):
        add_kernel([1, 2, 3])


def test_read_only_output(add_kernel):
    out = np.zeros((4, 5), "float32")
    out.setflags(write=False)
    with pytest.raises(cinn.ExecutionError, match="read-only"):
        add_kernel(np.zeros((4, 5), "float32"), out)


def test_placeholder_missing_from_arguments():
    A = lang.placeholder((8,), "float32", "A")
    B = lang.compute((8,), lambda i: A[i] * 2.0, "B")
    with pytest.raises(cinn.Error, match="placeholder 'A' is read but is not in the argument list"):
        lang.lower("f", [B])


def test_expression_has_no_truth_value():
    A = lang.placeholder((8,), "float32", "A")
    with pytest.raises(cinn.Error, match="no truth value"):
        bool(A[0] > 1.0)


def test_output_overlapping_input(add_kernel):
    a = np.zeros((4, 5), "float32")
    with pytest.raises(cinn.ExecutionError, match="overlap in memory"):
        add_kernel(a, a)


def test_read_only_input_is_fine_and_byte_swapped_arrays_are_errors(add_kernel):
    a = np.arange(20, dtype="float32").reshape(4, 5)
    ro = a.copy()
    ro.setflags(write=False)
    np.testing.assert_array_equal(add_kernel(ro), a + 1)
    with pytest.raises(cinn.DTypeError, match="'A' must be in the machine's byte order, got dtype '>f4'"):
        add_kernel(a.astype(">f4"))
    b = cinn.NetBuilder("swapped")
    x = b.input([4, 5], "float32", "x")
    exe = cinn.compile(b.build(b.mul(x, 2.0)))
    with pytest.raises(cinn.DTypeError, match="byte order"):
        exe(a.astype(">f4"))


def test_numbers_that_an_integer_operand_cannot_hold():
    # They would change silently: x * 1.5 computing x * 1, u + 300 computing u + 44.
    b = cinn.NetBuilder("lit")
    x = b.input([4], "int32", "x")
    u = b.input([4], "uint8", "u")
    with pytest.raises(cinn.DTypeError, match="op 'mul': the number 1.5 is not a value of int32"):
        b.mul(x, 1.5)
    with pytest.raises(cinn.DTypeError, match="op 'add': the number 300 is not a value of uint8"):
        b.add(u, 300)
    with pytest.raises(cinn.DTypeError, match="op 'sub': the number -1 is not a value of uint8"):
        b.sub(u, -1)
    b.mul(x, 2.0), b.add(u, 255)  # integral, in range: fine
    I = lang.placeholder((4,), "int32", "I")
    with pytest.raises(cinn.DTypeError, match=r"operator \*: the constant 1.5f? is not a value of int32"):
        lang.compute((4,), lambda i: I[i] * 1.5, "J")
    U = lang.placeholder((4,), "uint8", "U")
    with pytest.raises(cinn.DTypeError, match="operator \\+: the constant 300 is not a value of uint8"):
        lang.compute((4,), lambda i: U[i] + 300, "V")


def test_target_arguments():
    A = lang.placeholder((4,), "float32", "A")
    f = lang.lower("f", [A, lang.compute((4,), lambda i: A[i] * 2.0, "B")])
    k = cinn.build(f, target="x86")
    np.testing.assert_array_equal(k(np.ones(4, "float32")), 2 * np.ones(4))
    with pytest.raises(cinn.Error, match="unknown target 'tpu'; the targets are 'x86'"):
        cinn.build(f, target="tpu")
    with pytest.raises(cinn.Error, match="target must be a cinn.Target, 'x86' or 'cuda', got int"):
        cinn.build(f, target=3)


def test_thread_count_out_of_range():
    n = cinn.num_threads()
    for bad in (-3, 1025):
        with pytest.raises(cinn.Error, match="set_num_threads: n must be between 0"):
            cinn.set_num_threads(bad)
    assert cinn.num_threads() == n
