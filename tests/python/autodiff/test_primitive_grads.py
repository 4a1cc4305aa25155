"""The VJP rule of every primitive op against central finite differences in float64
(gradcheck.py: eps 1e-6, max-norm relative error at most 1e-4).

Inputs are random with a fixed seed and kept away from the points where an op is not
differentiable (0 for abs, ties for max/min, integers for floor, ...).
"""

import numpy as np
import pytest

import cinn
from gradcheck import check_finite_differences


def f64(rng, *shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, shape)


def away_from_zero(rng, *shape, lo=0.3, hi=2.0):
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


UNARY = {
    "exp": (None,), "log": ((0.2, 3.0),), "sqrt": ((0.2, 3.0),), "rsqrt": ((0.2, 3.0),),
    "tanh": (None,), "erf": (None,), "sin": (None,), "cos": (None,), "abs": ("nonzero",),
    "neg": (None,), "floor": ("fractional",), "ceil": ("fractional",), "round": ("fractional",),
}


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op, rng):
    (kind,) = UNARY[op]
    if kind is None:
        x = f64(rng, 3, 5)
    elif kind == "nonzero":
        x = away_from_zero(rng, 3, 5)
    elif kind == "fractional":  # away from the integers and halves where the result jumps
        x = rng.integers(-3, 3, (3, 5)) + rng.uniform(0.1, 0.4, (3, 5))
    else:
        x = f64(rng, 3, 5, lo=kind[0], hi=kind[1])
    grads = check_finite_differences(lambda b, v: getattr(b, op)(v), {"x": x}, ["x"], rng)
    if kind == "fractional":
        assert not grads[0].any()


BINARY = {
    "add": None, "sub": None, "mul": None, "div": "y_nonzero", "max": None, "min": None,
    "mod": "y_nonzero", "pow": "x_positive",
}


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5))])
def test_binary(op, shapes, rng):
    xs, ys = shapes
    x = f64(rng, *xs, lo=0.2, hi=2.0) if BINARY[op] == "x_positive" else f64(rng, *xs)
    y = away_from_zero(rng, *ys) if BINARY[op] == "y_nonzero" else f64(rng, *ys)
    check_finite_differences(lambda b, u, v: getattr(b, op)(u, v), {"x": x, "y": y}, ["x", "y"], rng)


def test_max_min_ties_share_the_gradient():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 1.0, 4.0])
    b = cinn.NetBuilder("ties")
    u, v = b.input([3], "float64", "x"), b.input([3], "float64", "y")
    loss = b.reduce(b.add(b.max(u, v), b.mul(b.min(u, v), b.fill_constant([], 10.0, "float64"))), "sum")
    _, gx, gy = cinn.compile(cinn.grad(b.build([loss]), loss, [u, v]))(x=x, y=y)
    # max: x wins at 1, y at 2, tie at 0; min: y at 1, x at 2.
    np.testing.assert_allclose(gx, [5.5, 1.0, 10.0])
    np.testing.assert_allclose(gy, [5.5, 10.0, 1.0])


def test_select_compare_and_logical(rng):
    x, y = f64(rng, 4, 5), f64(rng, 4, 5)

    def build(b, u, v):
        c = b.logical_or(b.compare(u, v, "gt"), b.logical_not(b.isnan(u)))
        c = b.logical_and(c, b.compare(u, b.fill_constant([], 0.5, "float64"), "lt"))
        return b.select(c, b.mul(u, v), b.exp(v))

    check_finite_differences(build, {"x": x, "y": y}, ["x", "y"], rng)


def test_cast_between_floats(rng):
    x = f64(rng, 3, 4)

    def build(b, v):
        return b.cast(b.mul(b.cast(v, "float32"), b.cast(v, "float32")), "float64")

    # The float32 round trip limits the difference quotient's accuracy: a larger step.
    check_finite_differences(build, {"x": x}, ["x"], rng, eps=1e-3, tol=1e-4)


def test_integer_paths_carry_no_gradient(rng):
    x = f64(rng, 3, 4)

    def build(b, v):
        i = b.arg_reduce(v, "max", 1, keepdim=True)             # int64
        k = b.cast(v, "int32")                                    # float -> int
        iota = b.cast(b.iota([3, 4], 1), "float64")
        u = b.random_uniform(b.iota([2]), [3, 4], dtype="float64")  # key [0, 1]: constant
        return b.add(b.mul(b.cast(i, "float64"), b.cast(k, "float64")), b.mul(b.mul(v, iota), u))

    (g,) = check_finite_differences(build, {"x": x}, ["x"], rng)
    assert g.shape == (3, 4)


@pytest.mark.parametrize("shape,target", [((4,), (3, 4)), ((3, 1), (2, 3, 5)), ((1, 1), (1, 1))])
def test_broadcast_to(shape, target, rng):
    check_finite_differences(lambda b, v: b.broadcast_to(v, list(target)), {"x": f64(rng, *shape)}, ["x"], rng)


def test_reshape_transpose(rng):
    check_finite_differences(lambda b, v: b.transpose(b.reshape(v, [4, 3, 2]), [2, 0, 1]),
                             {"x": f64(rng, 6, 4)}, ["x"], rng)


@pytest.mark.parametrize("pads", [[1, 2, 0, 1], [-1, 2, 1, -2], [0, 0, -1, -1]])
def test_pad(pads, rng):
    check_finite_differences(lambda b, v: b.pad(v, pads, 1.5), {"x": f64(rng, 4, 5)}, ["x"], rng)


@pytest.mark.parametrize("axes,starts,ends,strides", [
    ([1], [1], [4], []),
    ([0, 1], [-3, 0], [7, 5], [2, 3]),
    ([1], [1], [100], [2]),
    ([0, 1], [4, -1], [-6, 0], [-1, -2]),   # backward: x[::-1, :0:-2]
    ([1], [4], [0], [-3]),
])
def test_slice(axes, starts, ends, strides, rng):
    check_finite_differences(lambda b, v: b.slice(v, axes, starts, ends, strides),
                             {"x": f64(rng, 5, 6)}, ["x"], rng)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis, rng):
    xs = {"a": f64(rng, 2, 3), "b": f64(rng, 2, 3), "c": f64(rng, 2, 3)}
    if axis == 0:
        xs["b"] = f64(rng, 1, 3)
    check_finite_differences(lambda b, *v: b.concat(list(v), axis), xs, ["a", "b", "c"], rng)


@pytest.mark.parametrize("axis,index", [(0, [2, 0, 2, -1]), (1, [[1, 0], [3, 3]])])
def test_gather(axis, index, rng):
    inputs = {"x": f64(rng, 4, 5), "index": np.array(index, "int64")}
    check_finite_differences(lambda b, v, i: b.gather(v, i, axis), inputs, ["x"], rng)


def test_scatter_add(rng):
    inputs = {"x": f64(rng, 5, 3), "index": np.array([4, 0, 4], "int32"), "u": f64(rng, 3, 3)}
    check_finite_differences(lambda b, v, i, u: b.scatter_add(v, i, u), inputs, ["x", "u"], rng)


@pytest.mark.parametrize("axis", [0, 1])
def test_scatter(rng, axis):
    """Of repeated positions the last update stays: only it gets a gradient there, and x
    none where any update landed (an out-of-range index lands nowhere)."""
    shape = (5, 3) if axis == 0 else (3, 5)
    ushape = (4, 3) if axis == 0 else (3, 4)
    inputs = {"x": f64(rng, *shape), "index": np.array([4, 0, 4, 7], "int32"), "u": f64(rng, *ushape)}
    check_finite_differences(lambda b, v, i, u: b.scatter(v, i, u, axis), inputs, ["x", "u"], rng)


@pytest.mark.parametrize("kind", ["sum", "max", "min", "prod"])
@pytest.mark.parametrize("axis,keepdim", [([], False), ([1], False), ([0, 2], True)])
def test_reduce(kind, axis, keepdim, rng):
    x = away_from_zero(rng, 3, 4, 2) if kind == "prod" else f64(rng, 3, 4, 2)
    check_finite_differences(lambda b, v: b.reduce(v, kind, axis, keepdim), {"x": x}, ["x"], rng)


@pytest.mark.parametrize("xs,ys,tx,ty", [
    ((3, 4), (4, 5), False, False),
    ((3, 4), (5, 4), False, True),
    ((4, 3), (4, 5), True, False),
    ((4, 3), (5, 4), True, True),
    ((2, 3, 4), (4, 5), False, False),
    ((1, 3, 4), (2, 5, 4), False, True),
])
def test_matmul(xs, ys, tx, ty, rng):
    check_finite_differences(lambda b, u, v: b.matmul(u, v, tx, ty),
                             {"x": f64(rng, *xs), "y": f64(rng, *ys)}, ["x", "y"], rng)


@pytest.mark.parametrize("kind,kernel,stride,padding,exclusive", [
    ("max", [2, 2], [], [0, 0], True),
    ("max", [3, 3], [2, 2], [1, 1], True),
    ("max", [3, 2], [1, 2], [1, 0], True),
    ("avg", [2, 2], [], [0, 0], True),
    ("avg", [3, 3], [2, 2], [1, 1], True),
    ("avg", [3, 3], [2, 1], [1, 1], False),
])
def test_pool2d(kind, kernel, stride, padding, exclusive, rng):
    check_finite_differences(lambda b, v: b.pool2d(v, kind, kernel, stride, padding, exclusive),
                             {"x": f64(rng, 2, 2, 6, 5)}, ["x"], rng)


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups", [
    ((2, 3, 6, 6), (4, 3, 3, 3), [1, 1], [1, 1], [1, 1], 1),
    ((1, 2, 7, 6), (3, 2, 3, 2), [2, 2], [0, 1], [1, 1], 1),
    ((1, 2, 7, 7), (2, 2, 2, 3), [1, 2], [2, 1], [2, 1], 1),
    ((2, 4, 5, 5), (6, 2, 3, 3), [2, 1], [1, 1], [1, 1], 2),
    ((1, 3, 5, 6), (3, 1, 3, 3), [1, 1], [1, 1], [1, 1], 3),
])
def test_conv2d(xs, ws, stride, padding, dilation, groups, rng):
    check_finite_differences(lambda b, x, w: b.conv2d(x, w, stride, padding, dilation, groups),
                             {"x": f64(rng, *xs), "w": f64(rng, *ws)}, ["x", "w"], rng)


@pytest.mark.parametrize("xs,ds,kernel,stride,padding,dilation,groups", [
    ((2, 3, 6, 6), (4, 6, 6), [3, 3], [1, 1], [1, 1], [1, 1], 1),
    ((1, 4, 7, 6), (6, 3, 4), [3, 2], [2, 2], [0, 1], [1, 1], 2),
    ((1, 2, 7, 7), (3, 5, 7), [2, 3], [1, 1], [0, 1], [2, 1], 1),
])
def test_conv2d_weight_grad(xs, ds, kernel, stride, padding, dilation, groups, rng):
    check_finite_differences(
        lambda b, x, d: b.conv2d_weight_grad(x, d, kernel, stride, padding, dilation, groups),
        {"x": f64(rng, *xs), "d": f64(rng, xs[0], *ds)}, ["x", "d"], rng)


def test_every_primitive_has_a_gradient_rule():
    schemas = cinn._cinn.op_schemas()
    missing = [s["name"] for s in schemas if not s["composite"] and not s.get("has_vjp")]
    assert missing == []
