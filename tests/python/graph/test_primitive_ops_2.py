"""Primitive ops slice, concat, gather, scatter_add, scatter, iota, constant, arg_reduce, pool2d,
conv2d and pad against numpy / torch references, and their shape and dtype errors.

Inputs are random with a fixed seed. Tolerances: float32 rtol=1e-5, atol=1e-5 (conv2d:
atol=1e-4, the sums are longer); index and integer results are exact.
"""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cinn

RTOL, ATOL = 1e-5, 1e-5


def run(build, **inputs):
    """Builds a one-output program with build(b, *input values) and runs it."""
    b = cinn.NetBuilder("t")
    vals = [b.input(list(a.shape), str(a.dtype), n) for n, a in inputs.items()]
    exe = cinn.compile(b.build([build(b, *vals)]))
    (out,) = exe(**inputs)
    return out


def rand(rng, *shape):
    return rng.standard_normal(shape).astype("float32")


# ---------------------------------------------------------------- slice
@pytest.mark.parametrize("shape,axes,starts,ends,strides,ref", [
    ((6, 7), [0], [1], [5], [], lambda x: x[1:5]),
    ((6, 7), [1, 0], [-5, 0], [100, -2], [2, 3], lambda x: x[0:-2:3, -5:100:2]),
    ((3, 4, 5), [-1], [-100], [4], [3], lambda x: x[..., -100:4:3]),
    ((3, 4, 5), [0, 2], [2, 1], [3, 2], [1, 1], lambda x: x[2:3, :, 1:2]),
    # Negative strides step backward, as numpy's (end -n-1 or below: through the first).
    ((6, 7), [1], [6], [-8], [-1], lambda x: x[:, ::-1]),
    ((6, 7), [0, 1], [-1, 5], [0, -100], [-2, -3], lambda x: x[-1:0:-2, 5::-3]),
    ((6, 7), [1], [100], [2], [-2], lambda x: x[:, 100:2:-2]),
    ((3, 4, 5), [2], [-2 ** 63], [-2 ** 63], [-1], None),  # ONNX's INT64_MIN: empty
])
def test_slice(rng, shape, axes, starts, ends, strides, ref):
    x = rand(rng, *shape)
    if ref is None:
        with pytest.raises(cinn.ShapeError, match="op 'slice'.*empty"):
            run(lambda b, v: b.slice(v, axes, starts, ends, strides), x=x)
        return
    out = run(lambda b, v: b.slice(v, axes, starts, ends, strides), x=x)
    np.testing.assert_array_equal(out, ref(x))


def test_slice_errors():
    b = cinn.NetBuilder("t")
    x = b.input([4, 5], "float32", "x")
    with pytest.raises(cinn.ShapeError, match="op 'slice'.*empty"):
        b.slice(x, [0], [3], [1])
    with pytest.raises(cinn.ShapeError, match="op 'slice'"):
        b.slice(x, [2], [0], [1])
    with pytest.raises(cinn.ShapeError, match="op 'slice'.*stride of axis 0 is 0"):
        b.slice(x, [0], [0], [4], [0])
    with pytest.raises(cinn.ShapeError, match="op 'slice'.*stride of axis 0 is -9223372036854775808"):
        b.slice(x, [0], [0], [4], [-2 ** 63])
    with pytest.raises(cinn.ShapeError, match="op 'slice'.*one entry per axis"):
        b.slice(x, [0, 1], [0], [4])


# ---------------------------------------------------------------- concat
@pytest.mark.parametrize("shapes,axis", [
    ([(2, 3), (4, 3)], 0),
    ([(2, 3), (2, 1), (2, 5)], -1),
    ([(2, 3, 4), (2, 2, 4), (2, 1, 4), (2, 3, 4)], 1),
    ([(5,)], 0),
])
def test_concat(rng, shapes, axis):
    xs = {f"x{i}": rand(rng, *s) for i, s in enumerate(shapes)}
    out = run(lambda b, *vs: b.concat(list(vs), axis), **xs)
    np.testing.assert_array_equal(out, np.concatenate(list(xs.values()), axis))


def test_concat_errors():
    b = cinn.NetBuilder("t")
    x = b.input([2, 3], "float32", "x")
    y = b.input([3, 3], "float32", "y")
    z = b.input([2, 3], "int32", "z")
    with pytest.raises(cinn.ShapeError, match="op 'concat'.*outside axis 1"):
        b.concat([x, y], 1)
    with pytest.raises(cinn.ShapeError, match="op 'concat'"):
        b.concat([x, x], 2)
    with pytest.raises(cinn.DTypeError, match="op 'concat'"):
        b.concat([x, z])


# ---------------------------------------------------------------- gather
@pytest.mark.parametrize("xshape,ishape,axis,idtype", [
    ((5, 3), (4,), 0, "int64"),
    ((3, 6, 2), (2, 3), 1, "int32"),
    # Innermost axis: the index vector is hoisted out of the parallel loop into its closure
    # (this segfaulted while the closure was only 8-byte aligned).
    ((4, 7), (9,), -1, "int64"),
])
def test_gather(rng, xshape, ishape, axis, idtype):
    x = rand(rng, *xshape)
    n = xshape[axis]
    index = rng.integers(-n, n, size=ishape).astype(idtype)  # negative: from the end
    out = run(lambda b, v, i: b.gather(v, i, axis), x=x, index=index)
    np.testing.assert_array_equal(out, np.take(x, index, axis))


def test_gather_clamps_out_of_range():
    x = np.arange(5, dtype="float32")
    index = np.array([7, -9, 2], dtype="int64")
    out = run(lambda b, v, i: b.gather(v, i), x=x, index=index)
    np.testing.assert_array_equal(out, np.take(x, index, mode="clip") * 0 + [4, 0, 2])


def test_gather_errors():
    b = cinn.NetBuilder("t")
    x = b.input([4, 5], "float32", "x")
    i = b.input([3], "int64", "i")
    f = b.input([3], "float32", "f")
    with pytest.raises(cinn.DTypeError, match="op 'gather'.*int32 or int64"):
        b.gather(x, f)
    with pytest.raises(cinn.ShapeError, match="op 'gather'"):
        b.gather(x, i, 2)


# ---------------------------------------------------------------- scatter_add
@pytest.mark.parametrize("xshape,m,axis", [((6, 3), 10, 0), ((2, 5, 3), 4, 1), ((3, 4), 7, -1)])
def test_scatter_add(rng, xshape, m, axis):
    x = rand(rng, *xshape)
    n = xshape[axis]
    index = rng.integers(0, n, size=(m,)).astype("int64")  # repeats accumulate
    ushape = list(xshape)
    ushape[axis] = m
    updates = rand(rng, *ushape)
    out = run(lambda b, v, i, u: b.scatter_add(v, i, u, axis), x=x, index=index, updates=updates)
    ref = torch.from_numpy(x.copy()).index_add_(axis % len(xshape), torch.from_numpy(index),
                                                 torch.from_numpy(updates)).numpy()
    np.testing.assert_allclose(out, ref, rtol=RTOL, atol=ATOL)


def test_scatter_add_is_an_update_in_place(rng):
    """scatter_add is a copy, then each update added at its index (lang::update): O(indices
    x row) rather than a sum over every (row, index) pair, so an embedding table's gradient
    (30000 x 64 from 2000 indices, many repeated) is cheap. Negative indices count from the
    end, out-of-range ones are ignored; repeated ones accumulate in order. The update is
    serial over the indices, with the row's columns across threads (x86: vectors of them;
    the GPU: one thread each)."""
    v, t, d = 30000, 2000, 64
    x = rand(rng, v, d)
    index = rng.integers(-v - 3, v + 3, size=(t,)).astype("int64")
    index[:100] = 7  # repeats
    updates = rand(rng, t, d)
    out = run(lambda b, a, i, u: b.scatter_add(a, i, u, 0), x=x, index=index, updates=updates)
    ref = x.astype("float64")
    for k, j in enumerate(index):
        if -v <= j < v:
            ref[j] += updates[k]
    np.testing.assert_allclose(out, ref, rtol=RTOL, atol=ATOL)
    b = cinn.NetBuilder("t")
    prog = b.build(b.scatter_add(b.input([v, d], "float32", "x"), b.input([t], "int64", "i"),
                                 b.input([t, d], "float32", "u")))
    host = cinn.compile(prog).loop_ir
    assert "writes: v3[0:30000+, vu1]" in host
    assert "parallel for (u1_0, 0, 4) {\n    for (u0, 0, 2000) {\n      vectorized for (u1_1, 0, 16)" in host, host
    gpu = cinn.compile(prog, target=cinn.Target.cuda()).loop_ir
    assert "threadIdx.x for (u1_1, 0, 64)" in gpu and "for (u0, 0, 2000)" in gpu, gpu


@pytest.mark.parametrize("xshape,m,axis", [((6, 3), 10, 0), ((2, 5, 3), 4, 1), ((3, 4), 7, -1)])
def test_scatter_stores_the_last_update_of_repeated_indices(rng, xshape, m, axis):
    """scatter (torch index_copy) stores each update at its index, in index order: of
    repeated indices the last update stays; negative indices count from the end and
    out-of-range ones are ignored."""
    x = rand(rng, *xshape)
    n = xshape[axis]
    index = rng.integers(-n - 2, n + 2, size=(m,)).astype("int64")
    index[:2] = index[2]  # repeats
    ushape = list(xshape)
    ushape[axis] = m
    updates = rand(rng, *ushape)
    out = run(lambda b, v, i, u: b.scatter(v, i, u, axis), x=x, index=index, updates=updates)
    ref = np.moveaxis(x.copy(), axis, 0)
    moved = np.moveaxis(updates, axis, 0)
    for k, j in enumerate(index):
        if -n <= j < n:
            ref[j] = moved[k]
    np.testing.assert_array_equal(out, np.moveaxis(ref, 0, axis))


def test_scatter_add_errors():
    b = cinn.NetBuilder("t")
    x = b.input([4, 5], "float32", "x")
    i = b.input([3], "int64", "i")
    i2 = b.input([3, 1], "int64", "i2")
    u = b.input([3, 4], "float32", "u")
    ud = b.input([3, 5], "float64", "ud")
    with pytest.raises(cinn.ShapeError, match="op 'scatter_add'.*updates"):
        b.scatter_add(x, i, u)
    with pytest.raises(cinn.ShapeError, match="op 'scatter_add'.*1-D"):
        b.scatter_add(x, i2, u)
    with pytest.raises(cinn.DTypeError, match="op 'scatter_add'"):
        b.scatter_add(x, i, ud)
    with pytest.raises(cinn.ShapeError, match="op 'scatter'.*updates"):
        b.scatter(x, i, u)
    with pytest.raises(cinn.DTypeError, match="op 'scatter'.*index must be int32 or int64"):
        b.scatter(x, b.input([3], "float32", "fi"), b.input([3, 5], "float32", "u5"))


# ---------------------------------------------------------------- iota, constant
@pytest.mark.parametrize("shape,axis,dtype", [((3, 4), 0, "int64"), ((2, 3, 5), -1, "int32"),
                                              ((4, 2), 1, "float32")])
def test_iota(shape, axis, dtype):
    b = cinn.NetBuilder("t")
    exe = cinn.compile(b.build([b.iota(list(shape), axis, dtype)]))
    (out,) = exe()
    ref = np.indices(shape)[axis % len(shape)].astype(dtype)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("value", [
    np.array([[1.5, -2.0, 3.25], [0.0, 7.0, -1e-3]], dtype="float32"),
    np.arange(-30, 34, dtype="int64").reshape(4, 16),
    np.array([3], dtype="int32"),
])
def test_constant(rng, value):
    x = rng.standard_normal(value.shape).astype(value.dtype)
    out = run(lambda b, v: b.add(v, b.constant(value)), x=x)
    np.testing.assert_array_equal(out, x + value)


def test_large_constant_is_a_buffer(rng):
    """Literals of more than 8 elements are not inlined: the executable keeps them in
    constant buffers, also when returned directly."""
    value = rng.standard_normal((33, 9)).astype("float32")
    x = rng.standard_normal((33, 9)).astype("float32")
    b = cinn.NetBuilder("t")
    v = b.input(x.shape, "float32", "x")
    c = b.constant(value)
    exe = cinn.compile(b.build([b.mul(v, c), c]))
    out, same = exe(x=x)
    np.testing.assert_array_equal(out, x * value)
    np.testing.assert_array_equal(same, value)
    assert exe.input_names == ["x"]


def test_iota_errors():
    b = cinn.NetBuilder("t")
    with pytest.raises(cinn.ShapeError, match="op 'iota'"):
        b.iota([3, 4], 2)


# ---------------------------------------------------------------- arg_reduce
@pytest.mark.parametrize("shape,kind,axis,keepdim,dtype", [
    ((5, 7), "max", 1, False, "int64"),
    ((5, 7), "min", 0, True, "int32"),
    ((3, 4, 6), "max", -2, False, "int64"),
    ((3, 4, 6), "min", -1, True, "int64"),
])
def test_arg_reduce(rng, shape, kind, axis, keepdim, dtype):
    # Few distinct values, so ties are common: the first index must win.
    x = rng.integers(0, 4, size=shape).astype("float32")
    out = run(lambda b, v: b.arg_reduce(v, kind, axis, keepdim, dtype), x=x)
    ref = (np.argmax if kind == "max" else np.argmin)(x, axis=axis)
    if keepdim:
        ref = np.expand_dims(ref, axis)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("kind", ["max", "min"])
def test_arg_reduce_takes_the_first_nan(kind):
    """A NaN is the extremum of its line (the reduction propagates it): the index is the
    first NaN's, as numpy and PyTorch answer, never one past the line."""
    x = np.array([[1, np.nan, 3, np.nan], [4, 5, 6, 2], [np.nan] * 4, [2, 2, -np.inf, np.inf]], "float32")
    for axis in (0, 1):
        out = run(lambda b, v: b.arg_reduce(v, kind, axis), x=x)
        np.testing.assert_array_equal(out, getattr(np, "arg" + kind)(x, axis=axis))


def test_arg_reduce_errors():
    b = cinn.NetBuilder("t")
    x = b.input([4, 5], "float32", "x")
    with pytest.raises(cinn.ShapeError, match="op 'arg_reduce'"):
        b.arg_reduce(x, "max", 2)
    with pytest.raises(cinn.Error, match="op 'arg_reduce'.*max or min"):
        b.arg_reduce(x, "sum", 0)
    with pytest.raises(cinn.DTypeError, match="op 'arg_reduce'"):
        b.arg_reduce(x, "max", 0, dtype="float32")


# ---------------------------------------------------------------- pool2d
@pytest.mark.parametrize("shape,kind,kernel,stride,padding,exclusive", [
    ((2, 3, 8, 8), "max", [2, 2], [], [0, 0], True),
    ((1, 2, 9, 7), "max", [3, 2], [2, 1], [1, 1], True),
    ((2, 3, 8, 8), "avg", [2, 2], [], [0, 0], True),
    ((1, 2, 9, 7), "avg", [3, 3], [2, 2], [1, 1], True),
    ((1, 2, 9, 7), "avg", [3, 2], [1, 2], [1, 1], False),
])
def test_pool2d(rng, shape, kind, kernel, stride, padding, exclusive):
    x = rand(rng, *shape)
    out = run(lambda b, v: b.pool2d(v, kind, kernel, stride, padding, exclusive), x=x)
    t = torch.from_numpy(x)
    s = stride or kernel
    if kind == "max":
        ref = F.max_pool2d(t, kernel, s, padding)
    else:
        ref = F.avg_pool2d(t, kernel, s, padding, count_include_pad=not exclusive)
    np.testing.assert_allclose(out, ref.numpy(), rtol=RTOL, atol=ATOL)


def test_pool2d_errors():
    b = cinn.NetBuilder("t")
    x = b.input([1, 2, 8, 8], "float32", "x")
    x3 = b.input([2, 8, 8], "float32", "x3")
    with pytest.raises(cinn.ShapeError, match="op 'pool2d'.*4-D"):
        b.pool2d(x3, "max", [2, 2])
    with pytest.raises(cinn.ShapeError, match="op 'pool2d'.*half the kernel"):
        b.pool2d(x, "max", [2, 2], padding=[2, 0])
    with pytest.raises(cinn.ShapeError, match="op 'pool2d'.*larger"):
        b.pool2d(x, "avg", [9, 2])
    with pytest.raises(cinn.Error, match="op 'pool2d'.*max or avg"):
        b.pool2d(x, "sum", [2, 2])


# ---------------------------------------------------------------- conv2d
@pytest.mark.parametrize("xshape,wshape,stride,padding,dilation,groups", [
    ((2, 3, 8, 8), (4, 3, 3, 3), [1, 1], [0, 0], [1, 1], 1),
    ((1, 4, 9, 7), (6, 2, 3, 2), [2, 1], [1, 2], [1, 1], 2),
    ((1, 3, 10, 9), (5, 3, 3, 3), [1, 2], [2, 1], [2, 1], 1),
    ((2, 4, 6, 6), (4, 1, 3, 3), [1, 1], [1, 1], [1, 1], 4),  # depthwise
    ((2, 6, 29, 31), (6, 1, 3, 3), [2, 2], [1, 1], [1, 1], 6),  # strided depthwise: in place
    ((1, 6, 23, 37), (12, 1, 3, 5), [2, 3], [2, 1], [2, 1], 6),  # channel multiplier 2
    ((1, 8, 19, 19), (8, 2, 3, 3), [2, 2], [1, 1], [1, 1], 4),  # two channels per group
    # Sizes that take the default conv schedule's register tile (row vector by 8 channels),
    # with and without the phase split of strided convolutions.
    ((1, 16, 28, 28), (16, 16, 3, 3), [1, 1], [1, 1], [1, 1], 1),
    ((2, 8, 20, 20), (16, 8, 3, 3), [2, 2], [1, 1], [1, 1], 1),
    ((1, 8, 9, 9), (16, 8, 1, 1), [2, 2], [0, 0], [1, 1], 1),
])
def test_conv2d(rng, xshape, wshape, stride, padding, dilation, groups):
    x, w = rand(rng, *xshape), rand(rng, *wshape)
    out = run(lambda b, xv, wv: b.conv2d(xv, wv, stride, padding, dilation, groups), x=x, w=w)
    ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=stride, padding=padding,
                   dilation=dilation, groups=groups)
    np.testing.assert_allclose(out, ref.numpy(), rtol=RTOL, atol=1e-4)


def test_conv2d_and_matmul_stage_their_operands():
    """Padding / the phase split of a strided conv and the packed transposed operand of a
    matmul are staging blocks: the default schedule keeps them as their own loop nests."""
    b = cinn.NetBuilder("t")
    x = b.input([1, 8, 16, 16], "float32", "x")
    w = b.input([8, 8, 3, 3], "float32", "w")
    a = b.input([16, 32], "float32", "a")
    m = b.input([32, 32], "float32", "m")
    exe = cinn.compile(b.build([b.conv2d(x, w, padding=[1, 1]), b.conv2d(x, w, stride=[2, 2]),
                                b.matmul(a, m, transpose_y=True)]), cache=False)
    blocks = [line.split()[1].split("(")[0] for line in exe.loop_ir.splitlines()
              if line.strip().startswith("block ")]
    assert sum(n.endswith("_pad") for n in blocks) == 2, blocks
    assert sum(n.endswith("_pack") for n in blocks) == 1, blocks


@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_conv2d_reads_its_input_in_place(rng, stride):
    """A depthwise convolution (at most two input channels per group) reads x in place, its
    padding as masked loads and a stride as masked loads of the span and shuffles, not
    gathers; a padded or phase-split copy would be a second pass over x as long as the
    convolution. Ungrouped convolutions, even of one channel, keep the copy."""
    b = cinn.NetBuilder("t")
    x = b.input([2, 16, 30, 30], "float32", "x")
    w = b.input([16, 1, 3, 3], "float32", "w")
    x1 = b.input([2, 1, 30, 30], "float32", "x1")
    w1 = b.input([16, 1, 3, 3], "float32", "w1")
    exe = cinn.compile(b.build([b.conv2d(x, w, stride=[stride, stride], padding=[1, 1], groups=16),
                                b.conv2d(x1, w1, stride=[stride, stride], padding=[1, 1])]), cache=False)
    blocks = [line.split()[1].split("(")[0] for line in exe.loop_ir.splitlines()
              if line.strip().startswith("block ")]
    assert sum(n.endswith("_pad") for n in blocks) == 1, blocks
    assert "masked.gather" not in exe.source()
    xv, wv, x1v, w1v = rand(rng, 2, 16, 30, 30), rand(rng, 16, 1, 3, 3), rand(rng, 2, 1, 30, 30), rand(rng, 16, 1, 3, 3)
    got, got1 = exe(xv, wv, x1v, w1v)
    ref = F.conv2d(torch.from_numpy(xv), torch.from_numpy(wv), stride=stride, padding=1, groups=16)
    ref1 = F.conv2d(torch.from_numpy(x1v), torch.from_numpy(w1v), stride=stride, padding=1)
    np.testing.assert_allclose(got, ref.numpy(), rtol=RTOL, atol=1e-4)
    np.testing.assert_allclose(got1, ref1.numpy(), rtol=RTOL, atol=1e-4)


@pytest.mark.parametrize("xshape,wshape,stride", [
    ((1, 64, 7, 7), (32, 64, 1, 1), 1),
    ((2, 48, 14, 14), (40, 48, 1, 1), 1),
    ((4, 32, 7, 7), (64, 32, 1, 1), 1),
    ((1, 16, 9, 9), (16, 16, 1, 1), 2),
])
def test_pointwise_conv2d_is_a_matmul_over_positions(rng, xshape, wshape, stride):
    """A stride-1 1x1 convolution fuses the output rows and columns into one loop of
    positions and takes the matmul's register tile (32 positions by 8 channels); a strided
    one keeps the conv tile. The tile's vectors stay vectors with a tail of positions and
    a batch (the column tiles are then not fused into the parallel loop, whose guard a loop
    partition could not peel)."""
    x, w = rand(rng, *xshape), rand(rng, *wshape)
    b = cinn.NetBuilder("t")
    xv, wv = b.input(list(x.shape), "float32", "x"), b.input(list(w.shape), "float32", "w")
    exe = cinn.compile(b.build([b.relu(b.conv2d(xv, wv, stride=[stride, stride]))]), cache=False)
    fused = "vectorized for (k_l_fused_1, 0, 32)" in exe.loop_ir
    assert fused == (stride == 1), exe.loop_ir
    if fused:
        assert "<32 x float>" in exe.source()
    (out,) = exe(x=x, w=w)
    ref = F.relu(F.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=stride))
    np.testing.assert_allclose(out, ref.numpy(), rtol=RTOL, atol=1e-4)


def test_conv2d_errors():
    b = cinn.NetBuilder("t")
    x = b.input([1, 4, 8, 8], "float32", "x")
    w = b.input([6, 2, 3, 3], "float32", "w")
    w3 = b.input([6, 4, 3], "float32", "w3")
    wd = b.input([6, 4, 3, 3], "float64", "wd")
    with pytest.raises(cinn.ShapeError, match="op 'conv2d'.*4-D OIHW"):
        b.conv2d(x, w3)
    with pytest.raises(cinn.ShapeError, match="op 'conv2d'.*input channels per group"):
        b.conv2d(x, w)  # groups=1 wants w.shape[1] == 4
    with pytest.raises(cinn.ShapeError, match="op 'conv2d'.*groups=3 must divide"):
        b.conv2d(x, w, groups=3)
    with pytest.raises(cinn.DTypeError, match="op 'conv2d'"):
        b.conv2d(x, wd)
    with pytest.raises(cinn.ShapeError, match="op 'conv2d'.*larger"):
        b.conv2d(x, b.input([6, 4, 9, 3], "float32", "wb"))


# ---------------------------------------------------------------- conv2d_weight_grad
# The three forms of the compute: a group of >= 16 input channels (register tile along
# them), few channels and groups = 1 (along the output channels, the (s, c) pairs as rows),
# grouped with few channels (dot products along the output rows: depthwise).
@pytest.mark.parametrize("xshape,dshape,kernel,stride,padding,dilation,groups", [
    ((2, 16, 12, 12), (32, 12, 12), [3, 3], [1, 1], [1, 1], [1, 1], 1),
    ((2, 32, 11, 9), (16, 6, 5), [3, 3], [2, 2], [1, 1], [1, 1], 1),
    ((1, 32, 10, 10), (48, 8, 10), [2, 3], [1, 1], [0, 1], [2, 1], 1),
    ((2, 64, 8, 8), (32, 8, 8), [1, 1], [1, 1], [0, 0], [1, 1], 1),
    ((2, 32, 8, 8), (32, 8, 8), [3, 3], [1, 1], [1, 1], [1, 1], 2),
    ((2, 3, 23, 23), (32, 12, 12), [7, 7], [2, 2], [3, 3], [1, 1], 1),
    ((1, 5, 9, 8), (16, 7, 6), [3, 3], [1, 1], [0, 0], [1, 1], 1),
    ((2, 8, 10, 10), (8, 10, 10), [3, 3], [1, 1], [1, 1], [1, 1], 8),   # depthwise
    ((2, 16, 7, 7), (16, 7, 7), [3, 3], [1, 1], [1, 1], [1, 1], 16),   # rows of 7: masked vectors
    ((2, 8, 24, 24), (8, 24, 24), [3, 3], [1, 1], [1, 1], [1, 1], 8),  # rows of 24: 8 lanes
    ((2, 8, 28, 28), (8, 14, 14), [3, 3], [2, 2], [1, 1], [1, 1], 8),  # strided: in place
    ((1, 16, 21, 21), (8, 11, 11), [3, 3], [2, 2], [1, 1], [1, 1], 4),  # 4 per group: phase split
    ((1, 4, 13, 13), (4, 6, 6), [3, 3], [2, 2], [1, 1], [2, 2], 4),
    ((1, 6, 9, 9), (12, 5, 5), [3, 3], [2, 2], [1, 1], [1, 1], 3),
    ((1, 4, 7, 6), (3, 5, 4), [3, 3], [1, 1], [0, 0], [1, 1], 1),
])
def test_conv2d_weight_grad(rng, xshape, dshape, kernel, stride, padding, dilation, groups):
    x, d = rand(rng, *xshape), rand(rng, xshape[0], *dshape)
    out = run(lambda b, xv, dv: b.conv2d_weight_grad(xv, dv, kernel, stride, padding, dilation, groups),
              x=x, d=d)
    wshape = (dshape[0], xshape[1] // groups, *kernel)
    ref = torch.nn.grad.conv2d_weight(torch.from_numpy(x).double(), wshape, torch.from_numpy(d).double(),
                                      stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(out, ref.numpy(), rtol=1e-4, atol=1e-4 * np.abs(ref.numpy()).max())


@pytest.mark.parametrize("shape, stride, epilogue", [((4, 16, 28, 28), 1, True), ((4, 16, 28, 28), 1, False),
                                                    ((4, 8, 56, 56), 2, True)])
def test_conv2d_rows_of_28_vectorize_along_output_channels(shape, stride, epilogue):
    """On AVX-512 hosts a 3x3 convolution whose output rows do not fill vectors (28 wide) and
    that has enough positions is tiled along output channels instead: weights copied to
    [c, r, s, f], the tile accumulating into a channels-last copy of the output that is
    transposed back per row, the epilogue after it inside the same parallel loop."""
    rng = np.random.default_rng(11)
    n, c, h, w = shape
    o = 32
    x, wt, bias, res = rand(rng, *shape), rand(rng, o, c, 3, 3), rand(rng, o), rand(rng, n, o, h // stride, w // stride)
    b = cinn.NetBuilder("t")
    xv, wv, bv, rv = (b.input(list(a.shape), "float32", nm) for nm, a in
                      (("x", x), ("w", wt), ("bias", bias), ("res", res)))
    y = b.conv2d(xv, wv, stride=[stride, stride], padding=[1, 1])
    if epilogue:
        y = b.relu(b.add(b.add(y, b.reshape(bv, [1, o, 1, 1])), rv))
    exe = cinn.compile(b.build([y]), cache=False)
    ir = exe.loop_ir
    if "avx512f" in cinn.Target.x86().features:
        assert re.search(rf"_global: float32\[{n}, 28, 28, {o}\]", ir), ir
        nests = [line for line in ir.splitlines() if re.match(r"  (parallel )?for \(", line)]
        assert len(nests) == 3, ir  # the padding, the weight copy, the convolution and its epilogue
    (got,) = exe(**{k: v for k, v in dict(x=x, w=wt, bias=bias, res=res).items() if k in exe.input_names})
    want = F.conv2d(torch.from_numpy(x), torch.from_numpy(wt), stride=stride, padding=1)
    if epilogue:
        want = F.relu(want + torch.from_numpy(bias).reshape(1, o, 1, 1) + torch.from_numpy(res))
    np.testing.assert_allclose(got, want.numpy(), rtol=RTOL, atol=1e-4)


@pytest.mark.parametrize("shape, kernel", [((2, 16, 14, 14), 3), ((1, 32, 16, 16), 1)])
def test_conv2d_epilogue_runs_inside_the_register_tile(shape, kernel):
    """A convolution's elementwise epilogue (bias, residual, relu) is computed inside the
    convolution's parallel loop, on each register tile after its reduction, not in a second
    pass over the output: one loop nest besides the padding's."""
    rng = np.random.default_rng(5)
    n, c, h, w = shape
    x, wt, bias, res = rand(rng, *shape), rand(rng, 32, c, kernel, kernel), rand(rng, 32), rand(rng, n, 32, h, w)
    pad = kernel // 2
    b = cinn.NetBuilder("t")
    xv, wv, bv, rv = (b.input(list(a.shape), "float32", nm) for nm, a in
                      (("x", x), ("w", wt), ("bias", bias), ("res", res)))
    y = b.relu(b.add(b.add(b.conv2d(xv, wv, padding=[pad, pad]), b.reshape(bv, [1, 32, 1, 1])), rv))
    exe = cinn.compile(b.build([y]), cache=False)
    assert len(exe.fusion_groups) == 1
    nests = [line for line in exe.loop_ir.splitlines() if re.match(r"  (parallel )?for \(", line)]
    assert len(nests) == 1 + (pad > 0), exe.loop_ir
    assert nests[-1].startswith("  parallel for"), exe.loop_ir
    (got,) = exe(x=x, w=wt, bias=bias, res=res)
    want = F.relu(F.conv2d(torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(bias), padding=pad)
                  + torch.from_numpy(res)).numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-4)


def test_conv2d_weight_grad_is_one_register_tiled_kernel():
    """conv2d's weight gradient is one kernel: x staged channels-last, the product
    register-tiled (a vectorized loop of 32 channels inside the loops over n, y, x)."""
    b = cinn.NetBuilder("t")
    x = b.input([2, 32, 14, 14], "float32", "x")
    d = b.input([2, 64, 14, 14], "float32", "d")
    exe = cinn.compile(b.build([b.conv2d_weight_grad(x, d, [3, 3], padding=[1, 1])]), cache=False)
    assert [g["ops"] for g in exe.fusion_groups] == [["conv2d_weight_grad"]]
    lines = [line.strip() for line in exe.loop_ir.splitlines()]
    assert any(line.startswith("block v") and "_nhwc(" in line for line in lines), exe.loop_ir
    # The reduction over n, y, x runs outside an unrolled tile of output channels by a
    # vector of 32 input channels; n outside the loop over the output-channel tiles (the
    # rows of one image serve every tile from cache), y and x inside it.
    nest = []
    for line in lines:
        if line.startswith("block") and "_taps(" in line:
            break
        nest.append(line)
    nest = nest[max(i for i, line in enumerate(nest) if line.startswith("parallel for")):]
    heads = [line.split("(")[0] + "(" + line.split("(")[1].split(",")[0] for line in nest if "for (" in line]
    assert heads[-6:] == ["for (rn", "for (k_0", "for (ri", "for (rj", "unrolled for (k_1", "vectorized for (l_1"], heads
    assert nest[-1].startswith("vectorized for (l_1, 0, 32)"), nest


@pytest.mark.parametrize("stride,groups", [(1, 24), (2, 24), (2, 6)])
def test_depthwise_weight_grad_accumulates_every_tap_in_one_pass(stride, groups):
    """A depthwise weight gradient is one parallel nest over the channels: the reduction over
    n, y, x outside the 3x3 taps, unrolled around a vector along the row, so each row of dy
    is read once for all nine taps. x is read in place (its padding as masked loads, a
    stride as masked loads of the span and shuffles); with four channels per group and a
    stride, it is split by phase first."""
    cg = 24 // groups
    b = cinn.NetBuilder("t")
    x = b.input([2, 24, 28, 28], "float32", "x")
    d = b.input([2, 24, 28 // stride, 28 // stride], "float32", "d")
    exe = cinn.compile(b.build([b.conv2d_weight_grad(x, d, [3, 3], [stride, stride], [1, 1], groups=groups)]),
                       cache=False)
    lines = [line.strip() for line in exe.loop_ir.splitlines()]
    staged = any(line.startswith("block v") and "_pad(" in line for line in lines)
    assert staged == (stride > 1 and cg > 2), exe.loop_ir
    heads = [line.split(",")[0] for line in lines if "for (" in line]
    nest = heads[heads.index("for (rn"):]
    assert nest[:3] == ["for (rn", "for (ri", "for (rj_0"], heads
    inner = nest[3:nest.index("vectorized for (rj_1") + 1]
    assert {"unrolled for (k", "unrolled for (l"} <= set(inner[:-1]), heads
    assert all(h.startswith("unrolled") for h in inner[:-1]), heads
    if not staged:
        assert "masked.gather" not in exe.source()
    rng = np.random.default_rng(3)
    xv, dv = rand(rng, 2, 24, 28, 28), rand(rng, 2, 24, 28 // stride, 28 // stride)
    (got,) = exe(xv, dv)
    ref = torch.nn.grad.conv2d_weight(torch.from_numpy(xv).double(), (24, cg, 3, 3), torch.from_numpy(dv).double(),
                                      stride=stride, padding=1, groups=groups).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_conv2d_weight_grad_errors():
    b = cinn.NetBuilder("t")
    x = b.input([1, 4, 8, 8], "float32", "x")
    d = b.input([1, 6, 6, 6], "float32", "d")
    with pytest.raises(cinn.ShapeError, match="op 'conv2d_weight_grad'.*not the shape of the convolution's result"):
        b.conv2d_weight_grad(x, d, [3, 3], padding=[1, 1])
    with pytest.raises(cinn.ShapeError, match="op 'conv2d_weight_grad'.*groups=4 must divide"):
        b.conv2d_weight_grad(x, d, [3, 3], groups=4)
    with pytest.raises(cinn.ShapeError, match="op 'conv2d_weight_grad'.*4-D NCHW"):
        b.conv2d_weight_grad(x, b.input([6, 6, 6], "float32", "d3"), [3, 3])
    with pytest.raises(cinn.DTypeError, match="op 'conv2d_weight_grad'"):
        b.conv2d_weight_grad(x, b.input([1, 6, 6, 6], "float64", "d64"), [3, 3])
    with pytest.raises(cinn.Error, match="op 'conv2d_weight_grad'.*kernel"):
        b.conv2d_weight_grad(x, d)


def test_conv2d_epilogue_and_slice_concat_fuse(rng):
    """conv2d + bias + relu is one OutFusible kernel; slice, mul and concat one Injective."""
    x, w = rand(rng, 2, 3, 10, 9), rand(rng, 4, 3, 3, 3)
    bias = rand(rng, 1, 4, 1, 1)
    b = cinn.NetBuilder("t")
    xv, wv = b.input([2, 3, 10, 9], "float32", "x"), b.input([4, 3, 3, 3], "float32", "w")
    bv = b.input([1, 4, 1, 1], "float32", "bias")
    y = b.max(b.add(b.conv2d(xv, wv, padding=[1, 1]), bv), 0.0)
    s = b.slice(y, [2], [1], [9], [2])
    exe = cinn.compile(b.build([b.concat([s, b.mul(s, 2.0)], 1)]))
    assert [g["pattern"] for g in exe.fusion_groups] == ["OutFusible", "Injective"]
    (out,) = exe(x=x, w=w, bias=bias)
    ref = torch.relu(F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
                     + torch.from_numpy(bias)).numpy()[:, :, 1:9:2]
    np.testing.assert_allclose(out, np.concatenate([ref, 2 * ref], 1), rtol=RTOL, atol=1e-4)


# ---------------------------------------------------------------- pad
@pytest.mark.parametrize("shape,pads,value,dtype", [
    ((3, 4), [1, 2, 0, 3], 0.0, "float32"),
    ((2, 3, 4), [0, 0, 2, 1, 1, 1], -1.5, "float32"),
    ((5, 6), [-1, 2, 3, -2], 7.0, "int32"),   # negative amounts crop
    ((4,), [0, 0], 0.0, "float32"),
    ((2, 2, 3, 3), [0, 0, 0, 0, 1, 1, 2, 0], 0.25, "float64"),
])
def test_pad(rng, shape, pads, value, dtype):
    x = (rand(rng, *shape) * 10).astype(dtype)
    out = run(lambda b, v: b.pad(v, pads, value), x=x)
    # torch's F.pad lists the last axis first; pads here go from the first axis.
    torch_pads = [p for d in reversed(range(len(shape))) for p in pads[2 * d:2 * d + 2]]
    ref = F.pad(torch.from_numpy(x), torch_pads, value=value).numpy()
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out, ref)


def test_pad_fuses_as_injective(rng):
    x = rand(rng, 6, 7)
    b = cinn.NetBuilder("t")
    xv = b.input([6, 7], "float32", "x")
    exe = cinn.compile(b.build([b.exp(b.pad(b.mul(xv, 2.0), [1, 1, 0, 2], 1.0))]))
    assert [g["pattern"] for g in exe.fusion_groups] == ["Injective"]
    np.testing.assert_allclose(exe(x=x)[0], np.exp(np.pad(x * 2, [(1, 1), (0, 2)], constant_values=1.0)),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("pads,interior", [([0, 0, 0, 0], [1, 2]), ([2, -1, -1, 3], [2, 0]),
                                          ([-3, 1, 1, -2], [1, 1])])
def test_pad_interior(rng, pads, interior):
    """out[before + i * (interior + 1)] = x[i]: numpy reference built by scattering."""
    x = rand(rng, 4, 5)
    out = run(lambda b, v: b.pad(v, pads, 0.5, interior), x=x)
    full = [(n - 1) * (k + 1) + 1 for n, k in zip(x.shape, interior)]
    spread = np.full(full, 0.5, "float32")
    spread[::interior[0] + 1, ::interior[1] + 1] = x
    ref = spread
    for d in range(2):
        before, after = pads[2 * d], pads[2 * d + 1]
        width = [(0, 0), (0, 0)]
        width[d] = (max(before, 0), max(after, 0))
        ref = np.pad(ref, width, constant_values=0.5)
        lo, hi = max(-before, 0), ref.shape[d] - max(-after, 0)
        ref = ref[lo:hi] if d == 0 else ref[:, lo:hi]
    np.testing.assert_array_equal(out, ref)


def test_pad_errors():
    b = cinn.NetBuilder("t")
    x = b.input([4, 5], "float32", "x")
    with pytest.raises(cinn.ShapeError, match="op 'pad'.*interior padding must be >= 0"):
        b.pad(x, [0, 0, 0, 0], 0.0, [1, -1])
    with pytest.raises(cinn.ShapeError, match="op 'pad'.*interior must have one entry per axis"):
        b.pad(x, [0, 0, 0, 0], 0.0, [1])
    with pytest.raises(cinn.ShapeError, match="op 'pad'.*2 entries per axis"):
        b.pad(x, [1, 1])
    with pytest.raises(cinn.ShapeError, match="op 'pad'.*empty"):
        b.pad(x, [-2, -2, 0, 0])
