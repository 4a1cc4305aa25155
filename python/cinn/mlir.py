"""Imports MLIR TOSA programs.

:func:`import_tosa` parses an MLIR module with MLIR's own C++ parser and verifier (the
``tosa``, ``func``, ``arith`` and ``tensor`` dialects) and maps one function's ops onto
NetBuilder ops, returning a :class:`cinn.Program`::

    prog = cinn.mlir.import_tosa('''
      func.func @main(%x: tensor<1x8xf32>, %w: tensor<1x8x4xf32>) -> tensor<1x1x4xf32> {
        %0 = tosa.reshape %x {new_shape = array<i64: 1, 1, 8>} : (tensor<1x8xf32>) -> tensor<1x1x8xf32>
        %1 = tosa.matmul %0, %w : (tensor<1x1x8xf32>, tensor<1x8x4xf32>) -> tensor<1x1x4xf32>
        return %1 : tensor<1x1x4xf32>
      }''')
    exe = cinn.compile(prog)
    (y,) = exe(x, w)

The function's arguments are the program's inputs, named ``arg0``, ``arg1``, ... in order
(MLIR keeps no SSA names); its returned values are the outputs. ``tosa.const`` tensors
become constants of the program. TOSA's NHWC convolutions and poolings map to CINN's NCHW
ones between transposes. Shapes must be static. Quantized TOSA (``quantization_info``,
``tosa.rescale``, ``mul`` with a shift) is not supported.
"""

import os

from . import _cinn
from .frontend import compile as _compile


def supported_ops():
    """The MLIR operations the importer maps (``"tosa.conv2d"``, ...), sorted."""
    return list(_cinn.mlir_supported_ops())


def _read(text_or_path):
    if isinstance(text_or_path, str) and not text_or_path.strip():
        raise _cinn.Error("cinn.mlir: expected MLIR text or a path, got an empty string")
    if isinstance(text_or_path, str) and "\0" in text_or_path:
        raise _cinn.Error("cinn.mlir: the MLIR text or path contains a NUL character")
    if isinstance(text_or_path, os.PathLike) or (
            isinstance(text_or_path, str) and "{" not in text_or_path
            and "\n" not in text_or_path):
        path = os.fspath(text_or_path)
        try:
            with open(path, encoding="utf-8") as f:
                return f.read(), path
        except OSError as e:
            raise _cinn.Error(f"cinn.mlir: cannot read '{path}': {e.strerror}") from None
        except UnicodeDecodeError:
            raise _cinn.Error(f"cinn.mlir: '{path}' is not MLIR text (not UTF-8; MLIR "
                              "bytecode is not supported)") from None
    if isinstance(text_or_path, bytes):
        return text_or_path.decode("utf-8", errors="replace"), "<string>"
    if isinstance(text_or_path, str):
        return text_or_path, "<string>"
    raise _cinn.Error("cinn.mlir: expected MLIR text or a path, got "
                      f"{type(text_or_path).__name__}")


def import_tosa(text_or_path, entry=None):
    """The :class:`cinn.Program` of a TOSA function.

    ``text_or_path`` is MLIR text or the path of a ``.mlir`` file (a string without braces
    or newlines is read as a path). ``entry`` names the function to import; by default the
    module must define exactly one. Errors are :class:`cinn.Error` with MLIR's diagnostics
    for text that does not parse or verify, :class:`cinn.UnsupportedOpError` naming the op
    and its location for an op without a mapping, :class:`cinn.ShapeError` for dynamic
    shapes or run-time values where a constant is needed."""
    text, source = _read(text_or_path)
    return _cinn.import_tosa(text, source, entry or "")


def compile(text_or_path, target=None, entry=None, **options):  # noqa: A001
    """Imports a TOSA function (:func:`import_tosa`) and compiles it: returns a
    :class:`cinn.Executable` called with the function's arguments in order. ``options`` go
    to :func:`cinn.compile`."""
    return _compile(import_tosa(text_or_path, entry=entry), target=target, **options)
