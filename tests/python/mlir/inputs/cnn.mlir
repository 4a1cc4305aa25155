// A small NHWC network: conv -> relu6 (clamp) -> max pool -> depthwise conv + residual ->
// global average (reduce_sum * 1/64) -> fully connected -> softmax (reduce_max, sub, exp,
// reduce_sum, reciprocal, mul). Weights are arguments; the biases and the averaging scale
// are tosa.const tensors. Reference: tests/python/mlir/test_tosa.py::cnn_reference.
module {
  func.func @main(%x: tensor<2x16x16x3xf32>, %w1: tensor<8x3x3x3xf32>, %b1: tensor<8xf32>,
                  %w2: tensor<3x3x8x1xf32>, %w3: tensor<10x8xf32>) -> tensor<2x10xf32> {
    %b2 = "tosa.const"() {value = dense<[0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]> : tensor<8xf32>} : () -> tensor<8xf32>
    %b3 = "tosa.const"() {value = dense<[1.0, 0.5, 0.0, -0.5, -1.0, 1.5, 2.0, -2.0, 0.25, -0.25]> : tensor<10xf32>} : () -> tensor<10xf32>
    %scale = "tosa.const"() {value = dense<0.015625> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
    %0 = tosa.conv2d %x, %w1, %b1 {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<2x16x16x3xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<2x16x16x8xf32>
    %1 = tosa.clamp %0 {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<2x16x16x8xf32>) -> tensor<2x16x16x8xf32>
    %2 = tosa.max_pool2d %1 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : (tensor<2x16x16x8xf32>) -> tensor<2x8x8x8xf32>
    %3 = tosa.depthwise_conv2d %2, %w2, %b2 {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<2x8x8x8xf32>, tensor<3x3x8x1xf32>, tensor<8xf32>) -> tensor<2x8x8x8xf32>
    %4 = tosa.add %3, %2 : (tensor<2x8x8x8xf32>, tensor<2x8x8x8xf32>) -> tensor<2x8x8x8xf32>
    %5 = tosa.reduce_sum %4 {axis = 1 : i32} : (tensor<2x8x8x8xf32>) -> tensor<2x1x8x8xf32>
    %6 = tosa.reduce_sum %5 {axis = 2 : i32} : (tensor<2x1x8x8xf32>) -> tensor<2x1x1x8xf32>
    %7 = tosa.mul %6, %scale {shift = 0 : i8} : (tensor<2x1x1x8xf32>, tensor<1x1x1x1xf32>) -> tensor<2x1x1x8xf32>
    %8 = tosa.reshape %7 {new_shape = array<i64: 2, 8>} : (tensor<2x1x1x8xf32>) -> tensor<2x8xf32>
    %9 = tosa.fully_connected %8, %w3, %b3 : (tensor<2x8xf32>, tensor<10x8xf32>, tensor<10xf32>) -> tensor<2x10xf32>
    %10 = tosa.reduce_max %9 {axis = 1 : i32} : (tensor<2x10xf32>) -> tensor<2x1xf32>
    %11 = tosa.sub %9, %10 : (tensor<2x10xf32>, tensor<2x1xf32>) -> tensor<2x10xf32>
    %12 = tosa.exp %11 : (tensor<2x10xf32>) -> tensor<2x10xf32>
    %13 = tosa.reduce_sum %12 {axis = 1 : i32} : (tensor<2x10xf32>) -> tensor<2x1xf32>
    %14 = tosa.reciprocal %13 : (tensor<2x1xf32>) -> tensor<2x1xf32>
    %15 = tosa.mul %12, %14 {shift = 0 : i8} : (tensor<2x10xf32>, tensor<2x1xf32>) -> tensor<2x10xf32>
    return %15 : tensor<2x10xf32>
  }
}
