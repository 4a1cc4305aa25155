"""cinn.mlir.import_tosa on bad input: each a cinn error naming what is wrong and where
(the op and its file:line:col), never a crash."""

import os
import re

import pytest

import cinn

GOOD = """
func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tosa.abs %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
func.func @g(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}
"""

CASES = {
    # MLIR's parser and verifier, with their diagnostics.
    "syntax": (cinn.Error, "func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {\n  %0 = tosa.abs %x :\n}",
               r"does not parse or verify as MLIR:\n  <string>:2:21: expected non-function type"),
    "verifier": (cinn.Error, """
func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tosa.add %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}""", r"<string>:3:8: .*"),
    "unknown_dialect": (cinn.Error, """
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "mydialect.op"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}""", r"<string>:3:22: an operation of a dialect cinn.mlir does not load \(it loads tosa"),
    "unloaded_dialect_custom_syntax": (cinn.Error, """
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  cf.br ^bb1
^bb1:
  return %x : tensor<2xf32>
}""", r"<string>:3:3: an operation of a dialect cinn.mlir does not load \(it loads tosa, func, arith "
      r"and tensor\): 'cf.br'(?![\s\S]*Registered dialects)"),
    # Ops and variants without a mapping.
    "unmapped_op": (cinn.UnsupportedOpError, """
func.func @f(%x: tensor<1x4x4x2xf32>) -> tensor<1x8x8x2xf32> {
  %0 = tosa.resize %x {scale = array<i64: 2, 1, 2, 1>, offset = array<i64: 0, 0>, border = array<i64: 0, 0>, mode = "NEAREST_NEIGHBOR"} : (tensor<1x4x4x2xf32>) -> tensor<1x8x8x2xf32>
  return %0 : tensor<1x8x8x2xf32>
}""", r"op 'tosa.resize' at <string>:3:8: no mapping to CINN ops \(cinn.mlir.supported_ops\(\)"),
    "quantized_mul": (cinn.UnsupportedOpError, """
func.func @f(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.mul %x, %x {shift = 3 : i8} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}""", r"op 'tosa.mul' at <string>:3:8: shift = 3 \(a quantized multiply\)"),
    # Shapes and values CINN must know while compiling.
    "dynamic_shape": (cinn.ShapeError, """
func.func @f(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = tosa.abs %x : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}""", r"argument 0 of function 'f' has the dynamic type tensor<\?x3xf32>"),
    "unranked": (cinn.ShapeError, """
func.func @f(%x: tensor<*xf32>) -> tensor<*xf32> {
  return %x : tensor<*xf32>
}""", r"argument 0 of function 'f' has type tensor<\*xf32>; expected a ranked tensor"),
    "runtime_perms": (cinn.ShapeError, """
func.func @f(%x: tensor<2x3xf32>, %p: tensor<2xi32>) -> tensor<3x2xf32> {
  %0 = tosa.transpose %x, %p : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}""", r"op 'tosa.transpose' at <string>:3:8: operand 'perms' must be an integer constant"),
    "wrong_declared_shape": (cinn.ShapeError, """
func.func @f(%x: tensor<1x10x9x4xf32>, %w: tensor<5x3x2x4xf32>, %b: tensor<5xf32>) -> tensor<1x3x5x5xf32> {
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 1, 2, 1>, stride = array<i64: 2, 2>, dilation = array<i64: 2, 2>} : (tensor<1x10x9x4xf32>, tensor<5x3x2x4xf32>, tensor<5xf32>) -> tensor<1x3x5x5xf32>
  return %0 : tensor<1x3x5x5xf32>
}""", r"op 'tosa.conv2d' at <string>:3:8: result 0 is declared tensor<1x3x5x5xf32> but its "
      r"operands give float32\[1, 4, 5, 5\]"),
    "element_type": (cinn.DTypeError, """
func.func @f(%x: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  return %x : tensor<4xcomplex<f32>>
}""", r"argument 0 of function 'f' has element type complex<f32>"),
    # Operands the ops reject, named with the TOSA op.
    "bad_perm": (cinn.ShapeError, """
func.func @f(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %p = "tosa.const"() {value = dense<[1, 5]> : tensor<2xi32>} : () -> tensor<2xi32>
  %0 = tosa.transpose %x, %p : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}""", r"op 'tosa.transpose' at <string>:4:8: op 'transpose': axis 5 is out of range for rank 2"),
    "slice_out_of_range": (cinn.ShapeError, """
func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tosa.slice %x {start = array<i64: 1, 1>, size = array<i64: 2, 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}""", r"op 'tosa.slice' at <string>:3:8: result 0 is declared tensor<2x3xf32> but its operands give"),
    "pad_shape": (cinn.ShapeError, """
func.func @f(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  %p = "tosa.const"() {value = dense<[1, 1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %0 = tosa.pad %x, %p : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}""", r"op 'tosa.pad' at <string>:4:8: op 'pad': pads must have 2 entries per axis"),
    "call": (cinn.UnsupportedOpError, """
func.func private @g(tensor<2xf32>) -> tensor<2xf32>
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = func.call @g(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}""", r"op 'func.call' at <string>:4:8: no mapping"),
    "returns_nothing": (cinn.Error, """
func.func @f(%x: tensor<2xf32>) {
  return
}""", r"function 'f' returns nothing"),
    # Which function.
    "no_function": (cinn.Error, "module {}", r"defines 0 functions \(\); name the one"),
    "control_flow": (cinn.UnsupportedOpError, """
func.func @f(%c: tensor<i1>, %x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tosa.cond_if %c -> (tensor<2xf32>) {
    tosa.yield %x : tensor<2xf32>
  } else {
    %1 = tosa.negate %x : (tensor<2xf32>) -> tensor<2xf32>
    tosa.yield %1 : tensor<2xf32>
  }
  return %0 : tensor<2xf32>
}""", r"op 'tosa.cond_if' at <string>:3:8: no mapping"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_mlir_is_a_clear_error(case):
    cls, text, pattern = CASES[case]
    with pytest.raises(cls) as e:
        cinn.mlir.import_tosa(text)
    assert re.search(pattern, str(e.value)), str(e.value)
    assert str(e.value).startswith("cinn.mlir: ")


def test_entry_must_be_named_when_there_are_several_functions():
    with pytest.raises(cinn.Error, match=r"defines 2 functions \(f, g\); name the one to import"):
        cinn.mlir.import_tosa(GOOD)
    with pytest.raises(cinn.Error, match=r"defines no function 'h' \(it defines: f, g\)"):
        cinn.mlir.import_tosa(GOOD, entry="h")
    assert cinn.mlir.import_tosa(GOOD, entry="g").num_nodes == 0


def test_unreadable_files(tmp_path):
    with pytest.raises(cinn.Error, match=r"cannot read '.*missing.mlir'"):
        cinn.mlir.import_tosa(str(tmp_path / "missing.mlir"))
    binary = tmp_path / "model.mlirbc"
    binary.write_bytes(bytes([0x4D, 0x4C, 0xEF, 0x52, 0xFF, 0xFE, 0x80]))
    with pytest.raises(cinn.Error, match="not MLIR text"):
        cinn.mlir.import_tosa(binary)
    with pytest.raises(cinn.Error, match="expected MLIR text or a path, got int"):
        cinn.mlir.import_tosa(3)
    with pytest.raises(cinn.Error, match="expected MLIR text or a path, got an empty string"):
        cinn.mlir.import_tosa("  ")
    with pytest.raises(cinn.Error, match="contains a NUL character"):
        cinn.mlir.import_tosa("\x00abc")


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.mlir"
    path.write_text(CASES["unmapped_op"][1])
    with pytest.raises(cinn.UnsupportedOpError, match=re.escape(os.fspath(path)) + ":3:8"):
        cinn.mlir.import_tosa(path)
