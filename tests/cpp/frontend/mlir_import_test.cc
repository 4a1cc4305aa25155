// frontend/mlir: the TOSA importer from C++: a function becomes a Program of CINN ops with
// the arguments as named inputs, and bad input is a typed cinn error naming op and place.
// (Every mapped op's numerics are tested from Python: tests/python/mlir/test_tosa.py.)
#include <gtest/gtest.h>

#include <algorithm>

#include "cinn/frontend/mlir/import.h"

namespace cinn::frontend {
namespace {

const char* kConvRelu = R"(
func.func @net(%x: tensor<1x8x8x3xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x8x8x4xf32> {
  %b = "tosa.const"() {value = dense<[0.5, -0.5, 1.0, 0.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %1 = tosa.clamp %0 {min_fp = 0.0 : f32, max_fp = 3.4028235e+38 : f32, min_int = 0 : i64, max_int = 0 : i64} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %1 : tensor<1x8x8x4xf32>
})";

TEST(MlirImport, ConvolutionBecomesNchwConv2dBetweenTransposes) {
  Program p = mlir::import_tosa(kConvRelu, "net.mlir");
  const hlir::Graph& g = p.graph();
  ASSERT_EQ(g.inputs().size(), 2u);
  EXPECT_EQ(g.inputs()[0]->name, "arg0");
  EXPECT_EQ(g.inputs()[1]->type.to_string(), "float32[4, 3, 3, 3]");
  ASSERT_EQ(g.outputs().size(), 1u);
  EXPECT_EQ(g.outputs()[0]->type.to_string(), "float32[1, 8, 8, 4]");
  std::vector<std::string> ops;
  for (const auto& n : g.nodes()) ops.push_back(n->op_name());
  for (const char* op : {"constant", "transpose", "conv2d", "add", "max", "min"}) {
    EXPECT_NE(std::find(ops.begin(), ops.end(), op), ops.end()) << op;
  }
}

TEST(MlirImport, ErrorsAreTypedAndNameTheOp) {
  try {
    mlir::import_tosa(R"(
func.func @f(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %0 = tosa.table %x, %x : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  return %0 : tensor<1x4x4x2xf32>
})", "t.mlir");
    FAIL() << "expected an error";
  } catch (const cinn::Error& e) {
    // The verifier rejects a float table; an integer one would be an unmapped op. Either
    // way the message names the op and its place.
    EXPECT_NE(std::string(e.what()).find("t.mlir:3:8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(mlir::import_tosa("func.func @f(%x: tensor<?xf32>) -> tensor<?xf32> {\n"
                                 "  return %x : tensor<?xf32>\n}"),
               cinn::ShapeError);
  EXPECT_THROW(mlir::import_tosa("not mlir"), cinn::Error);
  auto ops = mlir::supported_ops();
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
  EXPECT_NE(std::find(ops.begin(), ops.end(), "tosa.depthwise_conv2d"), ops.end());
}

}  // namespace
}  // namespace cinn::frontend
