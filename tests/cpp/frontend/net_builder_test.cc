// frontend: NetBuilder's typed methods of the composite ops agree with the registry (op
// and attribute names, defaults, result types), and the decomposition of each leaves
// primitives only, with the types the composite node promised.
#include <gtest/gtest.h>

#include "cinn/frontend/net_builder.h"
#include "cinn/frontend/passes.h"

namespace cinn::frontend {
namespace {

using common::Float;
using common::Int;

std::string type_of(Value* v) { return v->type.to_string(); }

TEST(NetBuilder, CompositeMethodsMatchTheRegistry) {
  NetBuilder b("g");
  Value* x = b.input({2, 4, 3, 3}, Float(32), "x");
  Value* m = b.input({6, 8}, Float(32), "m");
  Value* c4 = b.input({4}, Float(32), "c4");
  Value* ids = b.input({5}, Int(64), "ids");
  Value* labels = b.input({6}, Int(64), "labels");
  std::vector<Value*> outs;
  auto keep = [&](Value* v, const std::string& want) {
    EXPECT_EQ(type_of(v), want) << v->producer->op_name();
    outs.push_back(v);
  };
  for (Value* v : {b.relu(m), b.relu6(m), b.leaky_relu(m), b.elu(m), b.selu(m), b.gelu(m, "tanh"),
                   b.sigmoid(m), b.silu(m), b.hard_sigmoid(m), b.hard_swish(m), b.hard_tanh(m),
                   b.mish(m), b.softplus(m), b.softsign(m), b.log_sigmoid(m), b.sign(m),
                   b.square(m), b.reciprocal(m), b.softmax(m), b.log_softmax(m),
                   b.clip(m, 0.0, 1.0), b.scale(m, 2.0, 1.0), b.lerp(m, m, m),
                   b.triu(m), b.tril(m, 1), b.zeros_like(m), b.ones_like(m), b.full_like(m, 2.0),
                   b.remainder(m, m), b.floor_divide(m, m), b.flip(m, {0})}) {
    keep(v, "float32[6, 8]");
  }
  keep(b.prelu(x, c4), "float32[2, 4, 3, 3]");
  for (Value* v : {b.sum(m, {1}), b.mean(m, {1}), b.amax(m, {1}), b.amin(m, {1}), b.prod(m, {1}),
                   b.var(m, {1}), b.std(m, {1}), b.norm(m, 2.0, {1}), b.logsumexp(m, {1})}) {
    keep(v, "float32[6]");
  }
  keep(b.argmax(m, {1}), "int64[6]");
  keep(b.argmin(m), "int64[]");
  for (Value* v : {b.equal(m, m), b.not_equal(m, m), b.greater(m, m), b.greater_equal(m, m),
                   b.less(m, m), b.less_equal(m, m)}) {
    keep(v, "bool[6, 8]");
  }
  keep(b.logical_xor(b.less(m, m), b.greater(m, m)), "bool[6, 8]");
  keep(b.where(b.less(m, m), m, m), "float32[6, 8]");
  keep(b.masked_fill(m, b.less(m, m), 0.5), "float32[6, 8]");
  keep(b.normalize(m), "float32[6, 8]");
  keep(b.cosine_similarity(m, m), "float32[6]");
  keep(b.arange(0, 5), "float32[5]");
  keep(b.flatten(x, 1), "float32[2, 36]");
  keep(b.squeeze(b.unsqueeze(m, {0}), {}), "float32[6, 8]");
  keep(b.expand(c4, {3, -1}), "float32[3, 4]");
  keep(b.tile(c4, {2}), "float32[8]");
  EXPECT_EQ(b.split(m, {2, 6}, 1).size(), 2u);
  EXPECT_EQ(b.chunk(m, 4).size(), 3u);
  keep(b.stack({m, m}, 1), "float32[6, 2, 8]");
  keep(b.pixel_shuffle(x, 2), "float32[2, 1, 6, 6]");
  keep(b.pixel_unshuffle(b.pixel_shuffle(x, 2), 2), "float32[2, 4, 3, 3]");
  keep(b.upsample_nearest2d(x, {2, 1}), "float32[2, 4, 6, 3]");
  keep(b.linear(m, b.input({3, 8}, Float(32), "w"), nullptr), "float32[6, 3]");
  keep(b.bmm(b.unsqueeze(m, {0}), b.unsqueeze(b.transpose(m, {1, 0}), {0})), "float32[1, 6, 6]");
  Value* k = b.input({8, 4, 3, 3}, Float(32), "k");
  keep(b.conv2d_bias(x, k, b.input({8}, Float(32), "kb"), {1, 1}, {1, 1}), "float32[2, 8, 3, 3]");
  keep(b.depthwise_conv2d(x, b.input({4, 1, 3, 3}, Float(32), "dk")), "float32[2, 4, 1, 1]");
  keep(b.max_pool2d(x, {2}, {1}), "float32[2, 4, 2, 2]");
  keep(b.avg_pool2d(x, {3}), "float32[2, 4, 1, 1]");
  keep(b.adaptive_avg_pool2d(x, {2, 2}), "float32[2, 4, 2, 2]");
  keep(b.embedding(ids, m), "float32[5, 8]");
  keep(b.one_hot(ids, 3), "float32[5, 3]");
  keep(b.scaled_dot_product_attention(x, x, x, nullptr, true), "float32[2, 4, 3, 3]");
  keep(b.layer_norm(m, b.input({8}, Float(32), "g"), b.input({8}, Float(32), "be")),
       "float32[6, 8]");
  keep(b.rms_norm(m, b.input({8}, Float(32), "rg")), "float32[6, 8]");
  keep(b.batch_norm(x, c4, c4, c4, c4)[0], "float32[2, 4, 3, 3]");
  keep(b.group_norm(x, c4, c4, 2), "float32[2, 4, 3, 3]");
  keep(b.instance_norm(x, c4, c4), "float32[2, 4, 3, 3]");
  keep(b.cross_entropy(m, labels), "float32[]");
  keep(b.nll_loss(m, labels, "none"), "float32[6]");
  for (Value* v : {b.mse_loss(m, m), b.l1_loss(m, m), b.smooth_l1_loss(m, m), b.huber_loss(m, m),
                   b.binary_cross_entropy(m, m), b.binary_cross_entropy_with_logits(m, m, "sum")}) {
    keep(v, "float32[]");
  }
  Program p = b.build(outs);
  auto prim = decompose(p.graph());
  for (const auto& n : prim->nodes()) EXPECT_FALSE(n->op->is_composite()) << n->op_name();
  ASSERT_EQ(prim->outputs().size(), outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    EXPECT_EQ(prim->outputs()[i]->type, outs[i]->type) << i;
  }
}

TEST(NetBuilder, RuleErrorsNameTheComposite) {
  NetBuilder b("g");
  Value* x = b.input({2, 6, 4}, Float(32), "x");
  Value* c = b.input({6}, Float(32), "c");
  try {
    b.group_norm(x, c, c, 4);
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("op 'group_norm': num_groups=4"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(b.split(x, {2, 2}, 1), ShapeError);
  EXPECT_THROW(b.cross_entropy(b.input({6, 3}, Float(32), "l"), c), DTypeError);
}

}  // namespace
}  // namespace cinn::frontend
