// Reductions and data movement, one function each (tests/python/mlir/test_tosa.py).
module {
  func.func @reduce_sum(%x: tensor<2x3x4xf32>) -> tensor<2x1x4xf32> {
    %0 = tosa.reduce_sum %x {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
    return %0 : tensor<2x1x4xf32>
  }
  func.func @reduce_max(%x: tensor<2x3x4xf32>) -> tensor<2x3x1xf32> {
    %0 = tosa.reduce_max %x {axis = 2 : i32} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
    return %0 : tensor<2x3x1xf32>
  }
  func.func @reduce_min(%x: tensor<2x3x4xf32>) -> tensor<1x3x4xf32> {
    %0 = tosa.reduce_min %x {axis = 0 : i32} : (tensor<2x3x4xf32>) -> tensor<1x3x4xf32>
    return %0 : tensor<1x3x4xf32>
  }
  func.func @reduce_prod(%x: tensor<2x3x4xf32>) -> tensor<2x1x4xf32> {
    %0 = tosa.reduce_prod %x {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
    return %0 : tensor<2x1x4xf32>
  }
  func.func @reduce_all(%x: tensor<2x3x4xi1>) -> tensor<2x1x4xi1> {
    %0 = tosa.reduce_all %x {axis = 1 : i32} : (tensor<2x3x4xi1>) -> tensor<2x1x4xi1>
    return %0 : tensor<2x1x4xi1>
  }
  func.func @reduce_any(%x: tensor<2x3x4xi1>) -> tensor<2x3x1xi1> {
    %0 = tosa.reduce_any %x {axis = 2 : i32} : (tensor<2x3x4xi1>) -> tensor<2x3x1xi1>
    return %0 : tensor<2x3x1xi1>
  }
  func.func @argmax(%x: tensor<2x3x4xf32>) -> tensor<2x4xi32> {
    %0 = tosa.argmax %x {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x4xi32>
    return %0 : tensor<2x4xi32>
  }
  func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
    %0 = tosa.reshape %x {new_shape = array<i64: 6, -1>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
    return %0 : tensor<6x4xf32>
  }
  func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
    %perms = "tosa.const"() {value = dense<[2, 0, 1]> : tensor<3xi32>} : () -> tensor<3xi32>
    %0 = tosa.transpose %x, %perms : (tensor<2x3x4xf32>, tensor<3xi32>) -> tensor<4x2x3xf32>
    return %0 : tensor<4x2x3xf32>
  }
  func.func @slice(%x: tensor<2x3x4xf32>) -> tensor<1x2x2xf32> {
    %0 = tosa.slice %x {start = array<i64: 1, 1, 1>, size = array<i64: 1, 2, 2>} : (tensor<2x3x4xf32>) -> tensor<1x2x2xf32>
    return %0 : tensor<1x2x2xf32>
  }
  func.func @concat(%x: tensor<2x3x4xf32>, %y: tensor<2x1x4xf32>) -> tensor<2x4x4xf32> {
    %0 = tosa.concat %x, %y {axis = 1 : i32} : (tensor<2x3x4xf32>, tensor<2x1x4xf32>) -> tensor<2x4x4xf32>
    return %0 : tensor<2x4x4xf32>
  }
  func.func @pad(%x: tensor<2x3x4xf32>) -> tensor<3x3x7xf32> {
    %padding = "tosa.const"() {value = dense<[[1, 0], [0, 0], [2, 1]]> : tensor<3x2xi64>} : () -> tensor<3x2xi64>
    %value = "tosa.const"() {value = dense<1.5> : tensor<f32>} : () -> tensor<f32>
    %0 = tosa.pad %x, %padding, %value : (tensor<2x3x4xf32>, tensor<3x2xi64>, tensor<f32>) -> tensor<3x3x7xf32>
    return %0 : tensor<3x3x7xf32>
  }
  func.func @tile(%x: tensor<2x3x4xf32>) -> tensor<2x6x12xf32> {
    %0 = tosa.tile %x {multiples = array<i64: 1, 2, 3>} : (tensor<2x3x4xf32>) -> tensor<2x6x12xf32>
    return %0 : tensor<2x6x12xf32>
  }
  func.func @reverse(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %0 = tosa.reverse %x {axis = 2 : i32} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %0 : tensor<2x3x4xf32>
  }
  func.func @gather(%values: tensor<2x5x3xf32>, %indices: tensor<2x4xi32>) -> tensor<2x4x3xf32> {
    %0 = tosa.gather %values, %indices : (tensor<2x5x3xf32>, tensor<2x4xi32>) -> tensor<2x4x3xf32>
    return %0 : tensor<2x4x3xf32>
  }
  // A constant operand: x + [[0.5, -1, 2, 0]] and a splat.
  func.func @const(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
    %c = "tosa.const"() {value = dense<[[[0.5, -1.0, 2.0, 0.0]]]> : tensor<1x1x4xf32>} : () -> tensor<1x1x4xf32>
    %s = "tosa.const"() {value = dense<3.0> : tensor<2x3x4xf32>} : () -> tensor<2x3x4xf32>
    %0 = tosa.add %x, %c : (tensor<2x3x4xf32>, tensor<1x1x4xf32>) -> tensor<2x3x4xf32>
    %1 = tosa.mul %0, %s {shift = 0 : i8} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
    return %1 : tensor<2x3x4xf32>
  }
  // arith and tensor ops around TOSA code.
  func.func @arith_tensor(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> (tensor<6x4xf32>, tensor<2x1x2x2xf32>, tensor<2x2xf32>) {
    %c = arith.constant dense<2.0> : tensor<2x3x4xf32>
    %0 = arith.mulf %x, %c : tensor<2x3x4xf32>
    %1 = arith.subf %0, %y : tensor<2x3x4xf32>
    %2 = arith.maximumf %1, %y : tensor<2x3x4xf32>
    %3 = tensor.collapse_shape %2 [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
    %4 = tensor.expand_shape %2 [[0], [1], [2, 3]] output_shape [2, 3, 2, 2] : tensor<2x3x4xf32> into tensor<2x3x2x2xf32>
    %5 = tensor.extract_slice %4[0, 1, 0, 0] [2, 1, 2, 2] [1, 1, 1, 1] : tensor<2x3x2x2xf32> to tensor<2x1x2x2xf32>
    %6 = tensor.extract_slice %x[0, 2, 1] [2, 1, 2] [1, 1, 2] : tensor<2x3x4xf32> to tensor<2x2xf32>
    %7 = arith.negf %6 : tensor<2x2xf32>
    return %3, %5, %7 : tensor<6x4xf32>, tensor<2x1x2x2xf32>, tensor<2x2xf32>
  }
  func.func @arith_more(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<4x3xf32>) {
    %0 = arith.addf %x, %y : tensor<2x3xf32>
    %1 = arith.divf %0, %y : tensor<2x3xf32>
    %2 = arith.minimumf %1, %x : tensor<2x3xf32>
    %3 = tensor.cast %2 : tensor<2x3xf32> to tensor<2x3xf32>
    %4 = tensor.concat dim(0) %3, %y : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
    return %3, %4 : tensor<2x3xf32>, tensor<4x3xf32>
  }
  // Integer arith; divsi rounds toward zero.
  func.func @arith_int(%x: tensor<5x7xi32>, %y: tensor<5x7xi32>) -> tensor<5x7xi32> {
    %0 = arith.addi %x, %y : tensor<5x7xi32>
    %1 = arith.muli %0, %y : tensor<5x7xi32>
    %2 = arith.subi %1, %x : tensor<5x7xi32>
    %3 = arith.divsi %2, %y : tensor<5x7xi32>
    return %3 : tensor<5x7xi32>
  }
}
