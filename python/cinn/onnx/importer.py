"""Reads an ONNX model and replays its nodes on a :class:`cinn.NetBuilder`.

Every tensor name maps either to a ``cinn.Value`` (computed by the program) or to a numpy
array (known while importing: initializers, ``Constant`` nodes and anything computed only
from known values, such as shape arithmetic). Operators are converted by the functions of
:mod:`cinn.onnx.ops`; a node whose inputs are all known and whose operator has a numpy
evaluator there is evaluated instead of emitted.
"""

import dataclasses
import os

import numpy as np

from .. import _cinn
from ..frontend import NetBuilder
from ..frontend import compile as _compile
from . import ops as _ops

MIN_OPSET, MAX_OPSET = 7, 17

# ONNX TensorProto element types -> cinn dtypes (bfloat16 has no numpy type: rejected).
_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64",
           9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64"}


def _onnx():
    try:
        import onnx  # noqa: PLC0415
        import onnx.numpy_helper  # noqa: F401,PLC0415
    except ImportError as e:  # pragma: no cover - python3-onnx is a project dependency
        raise _cinn.Error("cinn.onnx needs the onnx package (Debian: python3-onnx)") from e
    return onnx


@dataclasses.dataclass
class ModelInfo:
    """What :func:`load` found: the program's inputs and outputs (ONNX names, shapes,
    dtypes, in order), the opset, and how many nodes were evaluated while importing."""
    inputs: list
    outputs: list
    opset: int
    nodes: int
    folded_nodes: int


def supported_ops():
    """The ONNX operators (default domain) the importer converts, sorted."""
    return sorted(_ops.CONVERTERS)


def _read_model(model):
    onnx = _onnx()
    if isinstance(model, onnx.ModelProto):
        return model, "<ModelProto>"
    if isinstance(model, (bytes, bytearray)):
        data, where = bytes(model), "<bytes>"
    elif isinstance(model, (str, os.PathLike)):
        where = os.fspath(model)
        try:
            with open(where, "rb") as f:
                data = f.read()
        except OSError as e:
            raise _cinn.Error(f"cinn.onnx: cannot read '{where}': {e.strerror}") from None
    else:
        raise _cinn.Error("cinn.onnx: expected a path, bytes or an onnx.ModelProto, got "
                          f"{type(model).__name__}")
    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except Exception as e:  # protobuf's DecodeError and friends
        raise _cinn.Error(f"cinn.onnx: '{where}' is not a valid ONNX model (truncated or "
                          f"corrupted protobuf: {e})") from None
    if not proto.HasField("graph") or not proto.graph.node:
        raise _cinn.Error(f"cinn.onnx: '{where}' holds no graph (not an ONNX model, or an "
                          "empty one)")
    return proto, where


def _opset(proto):
    version = None
    for imp in proto.opset_import:
        if imp.domain in ("", "ai.onnx"):
            version = imp.version
    if version is None:
        version = 1
    if not MIN_OPSET <= version <= MAX_OPSET:
        raise _cinn.UnsupportedOpError(
            f"cinn.onnx: opset {version} of the default domain is not supported (opsets "
            f"{MIN_OPSET} to {MAX_OPSET})")
    return version


def _value_type(vi):
    t = vi.type
    if not t.HasField("tensor_type"):
        raise _cinn.UnsupportedOpError(f"cinn.onnx: graph value '{vi.name}' is not a tensor "
                                       f"(sequences, maps and optionals are not supported)")
    elem = t.tensor_type.elem_type
    if elem not in _DTYPES:
        raise _cinn.DTypeError(f"cinn.onnx: graph value '{vi.name}' has element type "
                               f"{_elem_name(elem)}, which CINN does not support")
    dims = []
    if t.tensor_type.HasField("shape"):
        for d in t.tensor_type.shape.dim:
            if d.HasField("dim_value"):
                dims.append(d.dim_value)
            else:
                dims.append(d.dim_param or "?")
    else:
        dims = None
    return dims, _DTYPES[elem]


def _elem_name(elem):
    onnx = _onnx()
    try:
        return onnx.TensorProto.DataType.Name(elem)
    except ValueError:
        return f"#{elem}"


def _initializer(t):
    onnx = _onnx()
    if t.data_type not in _DTYPES:
        raise _cinn.DTypeError(f"cinn.onnx: initializer '{t.name}' has element type "
                               f"{_elem_name(t.data_type)}, which CINN does not support")
    if t.data_location == onnx.TensorProto.EXTERNAL:
        raise _cinn.Error(f"cinn.onnx: initializer '{t.name}' is stored in an external file; "
                          "load the model with onnx.load(path) (which reads external data) "
                          "and pass the ModelProto")
    try:
        a = onnx.numpy_helper.to_array(t)
    except Exception as e:
        raise _cinn.DTypeError(f"cinn.onnx: initializer '{t.name}' ({_elem_name(t.data_type)}, "
                               f"dims {list(t.dims)}) cannot be read: {e}") from None
    want = int(np.prod(t.dims)) if len(t.dims) else 1
    if a.size != want:
        raise _cinn.ShapeError(f"cinn.onnx: initializer '{t.name}' holds {a.size} elements "
                               f"for dims {list(t.dims)}")
    return np.asarray(a, dtype=_DTYPES[t.data_type])


class Context:
    """What a converter sees: the builder, the opset, and the values by name."""

    def __init__(self, b, opset):
        self.b = b
        self.opset = opset
        self.env = {}          # name -> cinn.Value or np.ndarray
        self._consts = {}      # id of an np.ndarray -> its cinn constant
        self.node = None

    def where(self):
        n = self.node
        return f"ONNX node '{n.name or n.output[0]}' ({n.op_type}, opset {self.opset})"

    def error(self, kind, msg):
        return kind(f"{self.where()}: {msg}")

    def value(self, x):
        """A cinn.Value for x (a name's value, an np.ndarray or a Value)."""
        if isinstance(x, np.ndarray):
            key = id(x)
            if key not in self._consts:
                self._consts[key] = (x, self.b.constant(x))
            return self._consts[key][1]
        return x

    def known(self, x, what):
        """x as a numpy array; a clear error if only the running program knows it."""
        if isinstance(x, np.ndarray):
            return x
        raise self.error(_cinn.ShapeError, f"input '{what}' must be known while importing "
                         "(an initializer, a Constant or shape arithmetic); it is computed "
                         "by the model at run time, and CINN needs static shapes")


def load(model, input_shapes=None, freeze=None):
    """Imports an ONNX model (a path, bytes or an ``onnx.ModelProto``).

    Returns ``(program, info)``: the :class:`cinn.Program` and a :class:`ModelInfo`.
    ``input_shapes`` maps input names to shapes for inputs with symbolic dimensions.
    ``freeze`` maps input names to values (numpy arrays) that become constants: graph
    inputs that carry shapes, axes or other arguments CINN must know while compiling.
    """
    proto, where = _read_model(model)
    opset = _opset(proto)
    graph = proto.graph
    input_shapes = dict(input_shapes or {})
    freeze = dict(freeze or {})
    b = NetBuilder(graph.name or "onnx_model")
    ctx = Context(b, opset)

    inits = {}
    for t in graph.initializer:
        inits[t.name] = _initializer(t)
    for t in getattr(graph, "sparse_initializer", []):
        raise _cinn.UnsupportedOpError(f"cinn.onnx: sparse initializer '{t.values.name}' is "
                                       "not supported")
    ctx.env.update(inits)

    graph_inputs = {vi.name for vi in graph.input if vi.name not in inits}
    for what, names in (("input_shapes", input_shapes), ("freeze", freeze)):
        unknown = sorted(set(names) - graph_inputs)
        if unknown:
            raise (_cinn.ShapeError if what == "input_shapes" else _cinn.Error)(
                f"cinn.onnx: {what} names no graph input: {unknown} (the graph inputs: "
                f"{sorted(graph_inputs)})")
    inputs = []
    for vi in graph.input:
        if vi.name in inits:
            continue  # IR < 4 lists initializers among the inputs
        dims, dtype = _value_type(vi)
        if vi.name in freeze:
            ctx.env[vi.name] = np.asarray(freeze.pop(vi.name), dtype=dtype)
            continue
        if vi.name in input_shapes:
            shape = [int(d) for d in input_shapes.pop(vi.name)]
            if dims is not None and (len(dims) != len(shape) or any(
                    isinstance(d, int) and d != s for d, s in zip(dims, shape))):
                raise _cinn.ShapeError(f"cinn.onnx: input_shapes['{vi.name}'] = {shape} "
                                       f"does not match the model's {dims}")
        else:
            if dims is None:
                raise _cinn.ShapeError(f"cinn.onnx: input '{vi.name}' has no shape in the "
                                       f"model; pass input_shapes={{'{vi.name}': [...]}}")
            for i, d in enumerate(dims):
                if d == 0:
                    raise _cinn.ShapeError(f"cinn.onnx: input '{vi.name}' has a zero-sized "
                                           f"dimension {i}; CINN does not compile empty tensors")
                if not isinstance(d, int) or d < 0:
                    raise _cinn.ShapeError(
                        f"cinn.onnx: input '{vi.name}' has a dynamic dimension {i} ('{d}'); "
                        f"CINN compiles for static shapes: pass input_shapes={{'{vi.name}': "
                        f"[...]}}")
            shape = dims
        ctx.env[vi.name] = b.input(shape, dtype, name=_input_name(vi.name))
        inputs.append((vi.name, list(shape), dtype))

    folded = 0
    for node in graph.node:
        ctx.node = node
        if node.domain not in ("", "ai.onnx"):
            raise ctx.error(_cinn.UnsupportedOpError,
                            f"operator '{node.op_type}' of domain '{node.domain}' is not "
                            "supported (only the default ONNX domain)")
        conv = _ops.CONVERTERS.get(node.op_type)
        if conv is None:
            raise ctx.error(_cinn.UnsupportedOpError,
                            f"operator '{node.op_type}' is not supported (cinn.onnx."
                            "supported_ops() lists the supported ones)")
        args = []
        for name in node.input:
            if name == "":
                args.append(None)  # an omitted optional input
            elif name in ctx.env:
                args.append(ctx.env[name])
            else:
                raise ctx.error(_cinn.Error, f"input '{name}' is produced by no earlier node, "
                                "initializer or graph input (the graph is not topologically "
                                "sorted, or is malformed)")
        attrs = _attributes(node)
        _check_against_schema(ctx, node, attrs)
        folder = _ops.FOLDERS.get(node.op_type)
        try:
            if folder is not None and all(a is None or isinstance(a, np.ndarray) for a in args):
                outs = folder(ctx, args, attrs)
                folded += 1
            else:
                outs = conv(ctx, args, attrs)
        except _cinn.Error as e:
            # An error of a CINN op the node became (a shape the op rejects) names the node.
            if str(e).startswith(ctx.where()):
                raise
            raise type(e)(f"{ctx.where()}: {e}") from e
        except Exception as e:  # numpy's or Python's on values the schema check lets through
            raise ctx.error(_cinn.Error, f"its inputs or attributes are malformed ({type(e).__name__}: "
                            f"{e})") from e
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        # numpy folds a 0-d result (a Gather of one dimension of a Shape) to a scalar.
        outs = [np.asarray(o) if isinstance(o, np.generic) else o for o in outs]
        wanted = [o for o in node.output]
        if len(outs) < len([o for o in wanted if o]):
            raise ctx.error(_cinn.UnsupportedOpError,
                            f"only the first {len(outs)} output(s) are supported, the model "
                            f"uses {len(wanted)}")
        for name, v in zip(wanted, outs):
            if name:
                if name in ctx.env:
                    raise ctx.error(_cinn.Error, f"output '{name}' is already a value of the graph (an "
                                    "earlier node's output, an initializer or an input): each name is "
                                    "assigned once")
                ctx.env[name] = v

    outputs, values = [], []
    for vi in graph.output:
        if vi.name not in ctx.env:
            raise _cinn.Error(f"cinn.onnx: graph output '{vi.name}' is produced by no node")
        v = ctx.value(ctx.env[vi.name])
        values.append(v)
        outputs.append((vi.name, list(v.shape), v.dtype))
    prog = b.build(values)
    return prog, ModelInfo(inputs, outputs, opset, len(graph.node), folded)


def _check_against_schema(ctx, node, attrs):
    """The node's input count and required attributes against the operator's schema at the
    model's opset (what onnx.checker checks), as errors naming the node."""
    try:
        schema = _onnx().defs.get_schema(node.op_type, ctx.opset, "")
    except Exception:  # no schema at this opset: the converter decides
        return
    given = len(node.input)
    while given and node.input[given - 1] == "":
        given -= 1
    if given < schema.min_input or given > schema.max_input:
        want = (f"{schema.min_input}" if schema.min_input == schema.max_input
                else f"{schema.min_input} to {schema.max_input}")
        raise ctx.error(_cinn.Error, f"takes {want} inputs, got {given}")
    for name, a in schema.attributes.items():
        if a.required and name not in attrs:
            raise ctx.error(_cinn.Error, f"the required attribute '{name}' is missing")


def _input_name(name):
    # NetBuilder input names are identifiers in error messages and saved artifacts; ONNX
    # names may be anything ("input.1", "0").
    return name if name.isidentifier() else "in_" + "".join(c if c.isalnum() else "_" for c in name)


def _attributes(node):
    onnx = _onnx()
    out = {}
    for a in node.attribute:
        t = a.type
        A = onnx.AttributeProto
        if t == A.FLOAT:
            out[a.name] = a.f
        elif t == A.INT:
            out[a.name] = a.i
        elif t == A.STRING:
            out[a.name] = a.s.decode()
        elif t == A.FLOATS:
            out[a.name] = list(a.floats)
        elif t == A.INTS:
            out[a.name] = list(a.ints)
        elif t == A.STRINGS:
            out[a.name] = [s.decode() for s in a.strings]
        elif t == A.TENSOR:
            out[a.name] = _initializer(a.t)
        else:
            out[a.name] = a  # graphs etc.: converters that accept none reject them
    return out


def compile(model, target=None, input_shapes=None, freeze=None, **options):  # noqa: A001
    """Imports an ONNX model and compiles it: returns a :class:`cinn.Executable` called
    with the graph's inputs in order (numpy arrays; frozen ones left out) and returning
    its outputs. ``input_shapes`` and ``freeze`` are :func:`load`'s; ``options`` go to
    :func:`cinn.compile` (``fusion``, ``cache``, ``schedule_params``, ...)."""
    prog, _ = load(model, input_shapes=input_shapes, freeze=freeze)
    return _compile(prog, target=target, **options)
