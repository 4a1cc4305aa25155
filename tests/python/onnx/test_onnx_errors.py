"""Bad ONNX input is a clear cinn error naming what is wrong, never a crash (issue 7,
acceptance 4)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import cinn
import cinn.onnx


def _model(nodes, inputs, outputs, initializers=(), opset=13):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _relu_model(shape=(2, 3), opset=13):
    return _model([helper.make_node("Relu", ["x"], ["y"], name="relu0")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))], opset=opset)


def test_a_valid_model_runs():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    (y,) = cinn.onnx.compile(_relu_model())(x)
    np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_truncated_file(tmp_path):
    data = _relu_model().SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(cinn.Error, match="not a valid ONNX model"):
        cinn.onnx.load(str(path))


def test_corrupted_bytes():
    with pytest.raises(cinn.Error, match="not a valid ONNX model|holds no graph"):
        cinn.onnx.load(b"\xff\x00garbage\x13\x37" * 10)


def test_missing_file(tmp_path):
    with pytest.raises(cinn.Error, match="cannot read"):
        cinn.onnx.load(str(tmp_path / "nope.onnx"))


def test_wrong_initializer_type():
    w = numpy_helper.from_array(np.ones((3,), "float32"), "w")
    w.data_type = TensorProto.STRING
    m = _model([helper.make_node("Add", ["x", "w"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], [w])
    with pytest.raises(cinn.DTypeError, match="initializer 'w'.*STRING"):
        cinn.onnx.load(m)


def test_initializer_with_wrong_byte_count():
    w = numpy_helper.from_array(np.ones((3,), "float32"), "w")
    w.raw_data = w.raw_data[:-4]
    m = _model([helper.make_node("Add", ["x", "w"], ["y"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], [w])
    with pytest.raises((cinn.DTypeError, cinn.ShapeError), match="initializer 'w'"):
        cinn.onnx.load(m)


def test_unknown_operator_names_node_and_opset():
    m = _model([helper.make_node("FooBar", ["x"], ["y"], name="mystery")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    with pytest.raises(cinn.UnsupportedOpError, match=r"'mystery' \(FooBar, opset 13\).*'FooBar'"):
        cinn.onnx.load(m)


def test_operator_of_another_domain():
    m = _model([helper.make_node("Gelu", ["x"], ["y"], domain="com.microsoft")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    with pytest.raises(cinn.UnsupportedOpError, match="com.microsoft"):
        cinn.onnx.load(m)


def test_unsupported_opsets():
    for opset in (5, 18):
        with pytest.raises(cinn.UnsupportedOpError, match=f"opset {opset}.*7 to 17"):
            cinn.onnx.load(_relu_model(opset=opset))


def test_dynamic_dimension_needs_a_value():
    m = _relu_model(shape=("batch", 3))
    with pytest.raises(cinn.ShapeError, match="'x' has a dynamic dimension 0.*input_shapes"):
        cinn.onnx.load(m)
    prog, info = cinn.onnx.load(m, input_shapes={"x": [5, 3]})
    assert info.inputs == [("x", [5, 3], "float32")]
    with pytest.raises(cinn.ShapeError, match="does not match"):
        cinn.onnx.load(m, input_shapes={"x": [5, 4]})
    with pytest.raises(cinn.ShapeError, match="names no graph input"):
        cinn.onnx.load(m, input_shapes={"x": [5, 3], "z": [1]})


def test_shape_computed_at_run_time():
    m = _model([helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6]),
                helper.make_tensor_value_info("s", TensorProto.INT64, [2])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    with pytest.raises(cinn.ShapeError, match=r"'r' \(Reshape.*'shape' must be known"):
        cinn.onnx.load(m)
    (y,) = cinn.onnx.compile(m, freeze={"s": np.array([2, 3])})(np.arange(6, dtype="float32"))
    np.testing.assert_array_equal(y, np.arange(6, dtype="float32").reshape(2, 3))


def test_wrong_input_shape_at_call_time():
    exe = cinn.onnx.compile(_relu_model())
    with pytest.raises(cinn.Error, match="input"):
        exe(np.zeros((3, 2), "float32"))


def test_graph_not_in_topological_order():
    m = _model([helper.make_node("Relu", ["t"], ["y"]), helper.make_node("Relu", ["x"], ["t"])],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    with pytest.raises(cinn.Error, match="produced by no earlier node"):
        cinn.onnx.load(m)


def test_an_op_error_names_the_onnx_node():
    """A shape a CINN op rejects (here an input declared one column wider than the weights)
    is reported with the ONNX node it came from."""
    w = numpy_helper.from_array(np.ones((4, 3), "float32"), "w")
    m = _model([helper.make_node("MatMul", ["x", "w"], ["y"], name="/fc/MatMul")],
               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])],
               [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [w])
    with pytest.raises(cinn.ShapeError, match=r"ONNX node '/fc/MatMul' \(MatMul, opset 13\): op 'matmul'"):
        cinn.onnx.load(m)


def test_misspelled_input_names_are_reported_first():
    m = _relu_model(shape=("batch", 3))
    with pytest.raises(cinn.ShapeError, match=r"input_shapes names no graph input: \['xx'\] \(the graph "
                                              r"inputs: \['x'\]\)"):
        cinn.onnx.load(m, input_shapes={"xx": [5, 3]})
    with pytest.raises(cinn.Error, match=r"freeze names no graph input: \['y'\]"):
        cinn.onnx.load(m, input_shapes={"x": [5, 3]}, freeze={"y": np.zeros(1)})


def test_scatter_elements_limits_name_the_node():
    """ScatterElements reductions other than 'none' and 'add', and indices of another
    rank or larger than the data, are errors naming the node."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])

    def scatter(ishape, reduction="none"):
        i = numpy_helper.from_array(np.zeros(ishape, "int64"), "i")
        u = numpy_helper.from_array(np.ones(ishape, "float32"), "u")
        node = helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], name="sc", axis=1, reduction=reduction)
        return _model([node], [x], [y], [i, u], opset=16)

    with pytest.raises(cinn.UnsupportedOpError, match=r"ONNX node 'sc'.*reduction 'mul'"):
        cinn.onnx.load(scatter((3, 2), "mul"))
    with pytest.raises(cinn.ShapeError, match=r"ONNX node 'sc'.*indices \[3\] must have data's rank"):
        cinn.onnx.load(scatter((3,)))
    with pytest.raises(cinn.ShapeError, match=r"ONNX node 'sc'.*no larger than data \[3, 4\] but on axis 1"):
        cinn.onnx.load(scatter((5, 2)))


def _node_model(node, in_shape=(2, 3, 4), out_shape=(2, 3, 4), extra_inputs=(), initializers=()):
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))] + list(extra_inputs)
    return _model([node], inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape))],
                  initializers)


@pytest.mark.parametrize("node,error,message", [
    (helper.make_node("Cast", ["x"], ["y"], name="n"), cinn.Error, "required attribute 'to' is missing"),
    (helper.make_node("MaxPool", ["x"], ["y"], name="n"), cinn.Error, "required attribute 'kernel_shape'"),
    (helper.make_node("Add", ["x"], ["y"], name="n"), cinn.Error, "takes 2 inputs, got 1"),
    (helper.make_node("Gemm", ["x"], ["y"], name="n"), cinn.Error, "takes 2 to 3 inputs, got 1"),
    (helper.make_node("ReduceMax", ["x"], ["y"], name="n", axes=[-4]), cinn.ShapeError,
     "axis -4 is out of range for a rank-3 tensor"),
    (helper.make_node("Softmax", ["x"], ["y"], name="n", axis=4), cinn.ShapeError, "axis 4 is out of range"),
    (helper.make_node("Flatten", ["x"], ["y"], name="n", axis=5), cinn.ShapeError, "axis 5 is out of range"),
    (helper.make_node("Gather", ["x", "i"], ["y"], name="n", axis=7), cinn.ShapeError, "axis 7 is out of range"),
])
def test_malformed_nodes_are_cinn_errors_naming_the_node(node, error, message):
    """What onnx.checker and ONNX's shape inference reject (a missing required attribute, a
    wrong input count, an axis out of range) is a cinn error naming the node, not a Python
    KeyError / IndexError, and not an axis wrapped around into another one."""
    extra = [helper.make_tensor_value_info("i", TensorProto.INT64, [2])] if node.op_type == "Gather" else []
    with pytest.raises(error, match=rf"ONNX node 'n' \({node.op_type}, opset 1\d\): .*{message}"):
        cinn.onnx.load(_node_model(node, extra_inputs=extra))


def test_malformed_constants_and_repeated_axes_and_outputs():
    """Values only the converter can check (a Pad of the wrong length, a constant index out of
    range), an axis named twice, and a name assigned by two nodes."""
    pads = numpy_helper.from_array(np.zeros(3, "int64"), "pads")
    pad = helper.make_node("Pad", ["x", "pads"], ["y"], name="p")
    with pytest.raises(cinn.Error, match=r"ONNX node 'p' \(Pad, opset 13\): its inputs or attributes are malformed"):
        cinn.onnx.load(_node_model(pad, initializers=[pads]))
    axes = numpy_helper.from_array(np.int64([1, 1]), "axes")
    unsq = helper.make_node("Unsqueeze", ["x", "axes"], ["y"], name="u")
    with pytest.raises(cinn.ShapeError, match=r"ONNX node 'u' .*axes \[1, 1\] name an axis twice"):
        cinn.onnx.load(_node_model(unsq, out_shape=(2, 1, 1, 3, 4), initializers=[axes]))
    twice = _model([helper.make_node("Relu", ["x"], ["y"], name="a"), helper.make_node("Neg", ["x"], ["y"], name="b")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    with pytest.raises(cinn.Error, match=r"ONNX node 'b' .*output 'y' is already a value of the graph"):
        cinn.onnx.load(twice)
