"""The ONNX operator reference cases shipped in the onnx package (onnx.backend.test.case.node:
each a one-node model with inputs and numpy-computed outputs), for every case whose
operators cinn.onnx converts and whose opset is within 7-17.

A case either matches its expected outputs, or it is listed in EXPECTED_ERRORS (an
operator variant CINN does not cover) and must raise that cinn error, never anything else.
The cases pass shape-like arguments (Reshape's shape, Slice's starts, ...) as graph
inputs; CINN compiles static shapes, so those are frozen into constants (load(freeze=)).
"""

import re
import warnings

import numpy as np
import pytest

import cinn
import cinn.onnx

# onnx 1.12's case generators use aliases numpy 1.24 removed.
for _alias, _type in (("float", float), ("int", int), ("bool", bool), ("object", object)):
    if _alias not in np.__dict__:
        setattr(np, _alias, _type)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from onnx.backend.test.case.node import collect_testcases

# Inputs that carry shapes, axes, bounds or flags: frozen, not program inputs.
SHAPE_ARGS = {"Reshape": [1], "Slice": [1, 2, 3, 4], "Squeeze": [1], "Unsqueeze": [1],
              "Tile": [1], "Expand": [1], "Pad": [1, 2, 3], "Split": [1], "ReduceSum": [1],
              "ConstantOfShape": [0], "Range": [0, 1, 2], "Clip": [1, 2], "Dropout": [1, 2],
              "Resize": [1, 2, 3], "Upsample": [1]}

EXPECTED_ERRORS = [
    # (case name pattern, error, why)
    (r"test_resize_.*(linear|cubic|crop_and_resize|align_corners|round_prefer_ceil_asymmetric"
     r"|ceil_half_pixel).*", cinn.UnsupportedOpError, "Resize: only nearest, integer factors"),
    (r"test_resize_(downsample_.*nearest|upsample_sizes_nearest)$", cinn.UnsupportedOpError,
     "Resize: non-integer or downsampling factors"),
    (r".*uint16.*|.*(STRING|BFLOAT16).*", cinn.DTypeError, "uint16, string, bfloat16 values"),
    (r"test_(blackman|hamming|hann)window.*expanded", cinn.ShapeError,
     "Range over values computed at run time"),
    (r"test_training_dropout.*|test_batchnorm_.*training_mode", cinn.UnsupportedOpError,
     "training-mode Dropout / BatchNormalization (export in eval mode)"),
    (r"test_(max|average)pool_3d_.*|test_maxpool_2d_dilations|test_maxpool_with_argmax_.*",
     cinn.UnsupportedOpError, "3-D pooling, dilated pooling, MaxPool indices"),
    (r"test_(edge|reflect)_pad", cinn.UnsupportedOpError, "Pad modes other than constant"),
    (r"test_identity_(sequence|opt)", cinn.UnsupportedOpError, "sequence / optional values"),
    (r"test_constantofshape_int_shape_zero|test_reshape_allowzero_reordered"
     r"|test_slice_start_out_of_bounds|test_split_zero_size_splits", cinn.ShapeError,
     "empty tensors"),
]


def _opset(model):
    return max([i.version for i in model.opset_import if i.domain in ("", "ai.onnx")] or [1])


def _cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every = collect_testcases(None)
    ops = set(cinn.onnx.supported_ops())
    return [c for c in every
            if all(n.op_type in ops for n in c.model.graph.node) and _opset(c.model) >= 7]


CASES = _cases()


def _expected_error(name):
    for pattern, error, why in EXPECTED_ERRORS:
        if re.fullmatch(pattern, name):
            return error, why
    return None, None


def test_the_reference_cases_cover_the_operators():
    names = {n.op_type for c in CASES for n in c.model.graph.node}
    assert len(CASES) > 500 and len(names) > 80, (len(CASES), sorted(names))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_case(case):
    names = [i.name for i in case.model.graph.input]
    frozen = {n.input[k] for n in case.model.graph.node
              for k in SHAPE_ARGS.get(n.op_type, []) if k < len(n.input)}
    error, why = _expected_error(case.name)
    for inputs, outputs in case.data_sets:
        freeze = {n: v for n, v in zip(names, inputs) if n in frozen}
        if error is not None:
            with pytest.raises(error):
                exe = cinn.onnx.compile(case.model, freeze=freeze, cache=False)
                exe(*[v for n, v in zip(names, inputs) if n not in frozen])
            return
        exe = cinn.onnx.compile(case.model, freeze=freeze, cache=False)
        got = exe(*[v for n, v in zip(names, inputs) if n not in frozen])
        assert len(got) == len(outputs)
        for g, w in zip(got, outputs):
            assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
            if w.dtype.kind in "fc":
                np.testing.assert_allclose(g, w, rtol=max(case.rtol, 1e-5), atol=max(case.atol, 1e-6))
            else:
                np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("starts,ends,steps", [
    ([-1, 0], [-(2 ** 63), 100], [-1, 2]),   # the whole first axis reversed (INT64_MIN end)
    ([4, -2], [-6, -100], [-2, -3]),         # backward through the first element
    ([3, 6], [0, 1], [-1, -2]),              # backward, stopping before it
])
def test_slice_with_negative_steps(starts, ends, steps):
    """A Slice with negative steps is one CINN slice walking backward (numpy's rule)."""
    from onnx import TensorProto, helper, numpy_helper
    x = np.random.default_rng(0).standard_normal((5, 7)).astype("float32")
    want = x[tuple(slice(s, e, st) for s, e, st in zip(starts, ends, steps))]
    args = [numpy_helper.from_array(np.array(v, "int64"), n)
            for n, v in (("starts", starts), ("ends", ends), ("axes", [0, 1]), ("steps", steps))]
    node = helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 7])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(want.shape))], args)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    exe = cinn.onnx.compile(model)
    assert "flip" not in exe.primitive_graph and exe.primitive_graph.count("slice") == 1, exe.primitive_graph
    (got,) = exe(x)
    np.testing.assert_array_equal(got, want)


def _one_node_model(op, n_inputs, shape, **attrs):
    from onnx import TensorProto, helper
    names = ["a", "b", "c"][:n_inputs]
    graph = helper.make_graph([helper.make_node(op, names, ["y"], **attrs)], "g",
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in names],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_float_fmod_is_exact():
    """Mod(fmod=1) of floats is C's fmod, exact: large quotients (1e10 by 3 is 1, not the 256
    that x - trunc(x / y) * y rounds to), infinite divisors (x itself), signs from x."""
    a = np.float32([1e10, 1e30, 7, 5.5, -5.5, -1e10, 5, np.inf])
    b = np.float32([3, 7, np.inf, 2, 2, -3, 0, 2])
    (got,) = cinn.onnx.compile(_one_node_model("Mod", 2, [8], fmod=1))(a, b)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(got, np.fmod(a, b))


def test_sign_of_nan_is_nan():
    """Sign follows np.sign, the specification's reference: NaN stays NaN."""
    x = np.float32([-2, np.nan, 0, 3, -np.inf])
    (got,) = cinn.onnx.compile(_one_node_model("Sign", 1, [5]))(x)
    np.testing.assert_array_equal(got, np.sign(x))
