// Elementwise TOSA ops, one function each (tests/python/mlir/test_tosa.py).
module {
  func.func @abs(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.abs %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @ceil(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.ceil %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @floor(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.floor %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @exp(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.exp %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @log(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.log %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @reciprocal(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.reciprocal %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @rsqrt(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.rsqrt %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @tanh(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.tanh %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @sigmoid(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.sigmoid %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @erf(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.erf %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @sin(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.sin %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @cos(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.cos %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @negate(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.negate %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @add(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.add %x, %y : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @sub(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.sub %x, %y : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @maximum(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.maximum %x, %y : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @minimum(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.minimum %x, %y : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @pow(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.pow %x, %y : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  // Equal-rank broadcasting: [2, 1, 4] against [1, 3, 1].
  func.func @add_broadcast(%x: tensor<2x1x4xf32>, %y: tensor<1x3x1xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.add %x, %y : (tensor<2x1x4xf32>, tensor<1x3x1xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @mul(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.mul %x, %y {shift = 0 : i8} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @mul_int(%x: tensor<5x7xi32>, %y: tensor<5x7xi32>) -> tensor<5x7xi32> {
    %0 = tosa.mul %x, %y {shift = 0 : i8} : (tensor<5x7xi32>, tensor<5x7xi32>) -> tensor<5x7xi32>
    return %0 : tensor<5x7xi32>
  }
  // Rounds toward zero, unlike Python's //.
  func.func @int_div(%x: tensor<5x7xi32>, %y: tensor<5x7xi32>) -> tensor<5x7xi32> {
    %0 = tosa.int_div %x, %y : (tensor<5x7xi32>, tensor<5x7xi32>) -> tensor<5x7xi32>
    return %0 : tensor<5x7xi32>
  }
  func.func @clamp(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.clamp %x {min_fp = -0.5 : f32, max_fp = 0.25 : f32, min_int = 0 : i64, max_int = 0 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @clamp_int(%x: tensor<5x7xi32>) -> tensor<5x7xi32> {
    %0 = tosa.clamp %x {min_fp = 0.0 : f32, max_fp = 0.0 : f32, min_int = -3 : i64, max_int = 4 : i64} : (tensor<5x7xi32>) -> tensor<5x7xi32>
    return %0 : tensor<5x7xi32>
  }
  // Float to integer rounds half to even and saturates.
  func.func @cast_f32_i8(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xi8> {
    %0 = tosa.cast %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xi8>
    return %0 : tensor<2x3x4xi8>
  }
  func.func @cast_i32_f32(%x: tensor<5x7xi32>) -> tensor<5x7xf32> {
    %0 = tosa.cast %x : (tensor<5x7xi32>) -> tensor<5x7xf32>
    return %0 : tensor<5x7xf32>
  }
  func.func @cast_f32_i1(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xi1> {
    %0 = tosa.cast %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xi1>
    return %0 : tensor<2x3x4xi1>
  }
  func.func @cast_f32_f16(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf16> {
    %0 = tosa.cast %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf16>
    return %0 : tensor<2x3x4xf16>
  }
  func.func @equal(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xi1> {
    %0 = tosa.equal %x, %y : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xi1>
    return %0 : tensor<2x3x4xi1>
  }
  func.func @greater(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xi1> {
    %0 = tosa.greater %x, %y : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xi1>
    return %0 : tensor<2x3x4xi1>
  }
  func.func @greater_equal(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xi1> {
    %0 = tosa.greater_equal %x, %y : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xi1>
    return %0 : tensor<2x3x4xi1>
  }
  func.func @logical_and(%x: tensor<2x3x4xi1>, %y: tensor<2x3x4xi1>) -> tensor<2x3x4xi1> {
    %0 = tosa.logical_and %x, %y : (tensor<2x3x4xi1>, tensor<2x3x4xi1>) -> tensor<2x3x4xi1>
    return %0 : tensor<2x3x4xi1>
  }
  func.func @logical_or(%x: tensor<2x3x4xi1>, %y: tensor<2x3x4xi1>) -> tensor<2x3x4xi1> {
    %0 = tosa.logical_or %x, %y : (tensor<2x3x4xi1>, tensor<2x3x4xi1>) -> tensor<2x3x4xi1>
    return %0 : tensor<2x3x4xi1>
  }
  func.func @logical_xor(%x: tensor<2x3x4xi1>, %y: tensor<2x3x4xi1>) -> tensor<2x3x4xi1> {
    %0 = tosa.logical_xor %x, %y : (tensor<2x3x4xi1>, tensor<2x3x4xi1>) -> tensor<2x3x4xi1>
    return %0 : tensor<2x3x4xi1>
  }
  func.func @logical_not(%x: tensor<2x3x4xi1>) -> tensor<2x3x4xi1> {
    %0 = tosa.logical_not %x : (tensor<2x3x4xi1>) -> tensor<2x3x4xi1>
    return %0 : tensor<2x3x4xi1>
  }
  func.func @select(%c: tensor<2x3x4xi1>, %x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.select %c, %x, %y : (tensor<2x3x4xi1>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @identity(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.identity %x : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
}
