// Linear algebra, convolutions and poolings (NHWC), one function each
// (tests/python/mlir/test_tosa.py).
module {
  func.func @matmul(%a: tensor<2x5x7xf32>, %b: tensor<2x7x3xf32>) -> tensor<2x5x3xf32> {
    %0 = tosa.matmul %a, %b : (tensor<2x5x7xf32>, tensor<2x7x3xf32>) -> tensor<2x5x3xf32>
    return %0 : tensor<2x5x3xf32>
  }
  func.func @fully_connected(%x: tensor<4x10xf32>, %w: tensor<6x10xf32>, %b: tensor<6xf32>) -> tensor<4x6xf32> {
    %0 = tosa.fully_connected %x, %w, %b : (tensor<4x10xf32>, tensor<6x10xf32>, tensor<6xf32>) -> tensor<4x6xf32>
    return %0 : tensor<4x6xf32>
  }
  func.func @conv2d(%x: tensor<2x9x9x3xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<2x9x9x8xf32> {
    %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<2x9x9x3xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<2x9x9x8xf32>
    return %0 : tensor<2x9x9x8xf32>
  }
  // Stride 2, dilation 2 and padding top 0, bottom 1, left 2, right 1.
  func.func @conv2d_asym(%x: tensor<1x10x9x4xf32>, %w: tensor<5x3x2x4xf32>, %b: tensor<5xf32>) -> tensor<1x4x5x5xf32> {
    %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 1, 2, 1>, stride = array<i64: 2, 2>, dilation = array<i64: 2, 2>} : (tensor<1x10x9x4xf32>, tensor<5x3x2x4xf32>, tensor<5xf32>) -> tensor<1x4x5x5xf32>
    return %0 : tensor<1x4x5x5xf32>
  }
  // Channel multiplier 2: weight [KH, KW, C, M].
  func.func @depthwise_conv2d(%x: tensor<2x8x8x3xf32>, %w: tensor<3x3x3x2xf32>, %b: tensor<6xf32>) -> tensor<2x4x4x6xf32> {
    %0 = tosa.depthwise_conv2d %x, %w, %b {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>} : (tensor<2x8x8x3xf32>, tensor<3x3x3x2xf32>, tensor<6xf32>) -> tensor<2x4x4x6xf32>
    return %0 : tensor<2x4x4x6xf32>
  }
  // OH = (IH - 1) * stride + top + bottom + KH = 4 * 2 + 0 + 1 + 3 = 12; OW = 4 * 2 - 1 + 0 + 3 = 10.
  func.func @transpose_conv2d(%x: tensor<1x5x5x4xf32>, %w: tensor<6x3x3x4xf32>, %b: tensor<6xf32>) -> tensor<1x12x10x6xf32> {
    %0 = tosa.transpose_conv2d %x, %w, %b {out_pad = array<i64: 0, 1, -1, 0>, stride = array<i64: 2, 2>, out_shape = array<i64: 1, 12, 10, 6>} : (tensor<1x5x5x4xf32>, tensor<6x3x3x4xf32>, tensor<6xf32>) -> tensor<1x12x10x6xf32>
    return %0 : tensor<1x12x10x6xf32>
  }
  func.func @max_pool2d(%x: tensor<2x9x9x4xf32>) -> tensor<2x5x5x4xf32> {
    %0 = tosa.max_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>} : (tensor<2x9x9x4xf32>) -> tensor<2x5x5x4xf32>
    return %0 : tensor<2x5x5x4xf32>
  }
  // Asymmetric padding: explicit -inf padding.
  func.func @max_pool2d_asym(%x: tensor<1x8x8x2xf32>) -> tensor<1x4x4x2xf32> {
    %0 = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 1, 1, 0>} : (tensor<1x8x8x2xf32>) -> tensor<1x4x4x2xf32>
    return %0 : tensor<1x4x4x2xf32>
  }
  // The divisor counts only the window's elements inside x.
  func.func @avg_pool2d(%x: tensor<2x9x9x4xf32>) -> tensor<2x5x5x4xf32> {
    %0 = tosa.avg_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, acc_type = f32} : (tensor<2x9x9x4xf32>) -> tensor<2x5x5x4xf32>
    return %0 : tensor<2x5x5x4xf32>
  }
  func.func @avg_pool2d_asym(%x: tensor<1x7x7x3xf32>) -> tensor<1x4x3x3xf32> {
    %0 = tosa.avg_pool2d %x {kernel = array<i64: 2, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 0, 0, 0>, acc_type = f32} : (tensor<1x7x7x3xf32>) -> tensor<1x4x3x3xf32>
    return %0 : tensor<1x4x3x3xf32>
  }
  func.func @global_avg_pool(%x: tensor<2x7x7x8xf32>) -> tensor<2x1x1x8xf32> {
    %0 = tosa.avg_pool2d %x {kernel = array<i64: 7, 7>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, acc_type = f32} : (tensor<2x7x7x8xf32>) -> tensor<2x1x1x8xf32>
    return %0 : tensor<2x1x1x8xf32>
  }
}
