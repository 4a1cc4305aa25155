"""ONNX models to CINN programs.

::

    import cinn
    exe = cinn.onnx.compile("resnet18.onnx")            # or an onnx.ModelProto, or bytes
    (logits,) = exe(image)                               # the graph's inputs, in order
    prog, info = cinn.onnx.load("resnet18.onnx")         # the Program, to compile yourself

Opsets 7 to 17 of the default domain. Initializers become constants of the program (so
``cinn.compile`` folds what depends only on them, e.g. batch-norm statistics into
per-channel factors); the graph inputs that are not initializers are the program's inputs,
in the graph's order. Shapes are static: a symbolic input dimension needs a value
(``input_shapes={"input": [1, 3, 224, 224]}``), and shape computations inside the graph
(``Shape``, ``Gather``, ``Concat``, ``ConstantOfShape``, ...) are evaluated while importing.

Errors: a file that is not a valid ONNX model, an initializer of a type CINN does not have,
an unresolved dynamic dimension, or an operator outside :func:`supported_ops` raise a
``cinn`` error naming the node (``UnsupportedOpError`` for operators: the operator, the
node and the opset). docs/onnx.md lists every operator and its limits.
"""

from .importer import ModelInfo, compile, load, supported_ops  # noqa: F401,A004
