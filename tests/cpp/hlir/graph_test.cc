// hlir: the builder's validation and inference, fusion groups, and the runtime memory plan.
#include <gtest/gtest.h>

#include "cinn/frontend/net_builder.h"
#include "cinn/hlir/fusion.h"
#include "cinn/runtime/executable.h"

namespace cinn::hlir {
namespace {

using frontend::NetBuilder;

TEST(Hlir, BuilderBroadcastsAndInfersTypes) {
  NetBuilder b("g");
  Value* x = b.input({4, 8}, common::Float(32), "x");
  Value* y = b.input({8}, common::Float(32), "y");
  Value* z = b.add(x, y);
  EXPECT_EQ(z->type.to_string(), "float32[4, 8]");
  ASSERT_EQ(z->producer->inputs.size(), 2u);
  EXPECT_EQ(z->producer->inputs[1]->producer->op_name(), "broadcast_to");
  Value* r = b.reduce(z, "max", {-1}, true);
  EXPECT_EQ(r->type.to_string(), "float32[4, 1]");
  Value* c = b.compare(x, x, "lt");
  EXPECT_EQ(c->dtype(), common::Bool());
}

TEST(Hlir, AttributesAreValidatedAndDefaulted) {
  NetBuilder b("g");
  Value* x = b.input({4, 8}, common::Float(32), "x");
  Value* r = b.call1("reduce", {x}, {{"kind", std::string("sum")}});
  EXPECT_EQ(get_attr<bool>(r->producer->attrs, "keepdim"), false);
  EXPECT_TRUE(get_attr<std::vector<int64_t>>(r->producer->attrs, "axis").empty());
  EXPECT_THROW(b.call1("reduce", {x}, {{"kind", int64_t{3}}}), Error);
  EXPECT_THROW(b.call1("reduce", {x}, {{"kind", std::string("sum")}, {"bogus", true}}), Error);
  EXPECT_THROW(b.call1("no_such_op", {x}), UnsupportedOpError);
  EXPECT_THROW(b.call1("exp", {x, x}), Error);
}

TEST(Hlir, SoftmaxFusesIntoOneGroup) {
  NetBuilder b("g");
  Value* x = b.input({4, 8}, common::Float(32), "x");
  Value* e = b.exp(b.sub(x, b.reduce(x, "max", {-1}, true)));
  Value* y = b.div(e, b.reduce(e, "sum", {-1}, true));
  b.graph().set_outputs({y});
  auto groups = fuse_ops(b.graph());
  ASSERT_EQ(groups.size(), 1u) << fusion_groups_to_string(groups);
  EXPECT_EQ(groups[0].kind, OpPattern::kReduction);
  EXPECT_EQ(groups[0].inputs.size(), 1u);
  ASSERT_EQ(groups[0].outputs.size(), 1u);
  EXPECT_EQ(groups[0].outputs[0], y);
  EXPECT_EQ(fuse_ops(b.graph(), false).size(), b.graph().nodes().size());
}

TEST(Hlir, ReductionsOverDifferentAxesStayApart) {
  NetBuilder b("g");
  Value* x = b.input({4, 8}, common::Float(32), "x");
  Value* rows = b.reduce(x, "sum", {1}, true);
  Value* y = b.reduce(b.sub(x, rows), "sum", {0}, true);
  b.graph().set_outputs({y});
  auto groups = fuse_ops(b.graph());
  EXPECT_EQ(groups.size(), 2u) << fusion_groups_to_string(groups);
}

TEST(Runtime, MemoryPlanSharesBuffersWithDisjointLifetimes) {
  runtime::ExecutablePlan plan;
  auto buf = [&](runtime::BufferSpec::Kind k) {
    plan.buffers.push_back({"b" + std::to_string(plan.buffers.size()), common::Float(32), {256}, k, 0});
    return static_cast<int>(plan.buffers.size() - 1);
  };
  int in = buf(runtime::BufferSpec::Kind::kInput);
  int t1 = buf(runtime::BufferSpec::Kind::kTemp), t2 = buf(runtime::BufferSpec::Kind::kTemp),
      t3 = buf(runtime::BufferSpec::Kind::kTemp);
  int out = buf(runtime::BufferSpec::Kind::kOutput);
  // in -> t1 -> t2 -> t3 -> out: t1 and t3 never live together.
  plan.launches = {{"k0", nullptr, {in, t1}}, {"k1", nullptr, {t1, t2}},
                   {"k2", nullptr, {t2, t3}}, {"k3", nullptr, {t3, out}}};
  EXPECT_EQ(runtime::plan_memory(&plan), 2 * 1024);
  EXPECT_EQ(plan.buffers[t1].offset, plan.buffers[t3].offset);
  EXPECT_NE(plan.buffers[t1].offset, plan.buffers[t2].offset);
}

}  // namespace
}  // namespace cinn::hlir
