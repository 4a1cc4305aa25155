// hlir: the builder's validation and inference, fusion groups, and the runtime memory plan.
#include <gtest/gtest.h>

#include <map>

#include "cinn/frontend/net_builder.h"
#include "cinn/hlir/fusion.h"
#include "cinn/hlir/pass.h"
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

TEST(Hlir, GroupsLaunchAfterTheGroupsTheyRead) {
  // conv2d comes first in the graph, but its epilogue adds a bias broadcast built after it:
  // that broadcast's group must be launched before the conv2d group.
  NetBuilder b("g");
  Value* x = b.input({1, 2, 5, 5}, common::Float(32), "x");
  Value* w = b.input({3, 2, 3, 3}, common::Float(32), "w");
  Value* bias = b.input({3}, common::Float(32), "bias");
  Value* y = b.call1("conv2d", {x, w});
  Value* z = b.add(y, b.broadcast_to(b.reshape(bias, {3, 1, 1}), y->shape()));
  b.graph().set_outputs({z});
  auto groups = fuse_ops(b.graph());
  std::map<const Value*, size_t> made_by;
  for (size_t i = 0; i < groups.size(); ++i) {
    for (Value* v : groups[i].outputs) made_by[v] = i;
    for (Value* v : groups[i].inputs) {
      if (v->producer) {
        EXPECT_LT(made_by.at(v), i) << fusion_groups_to_string(groups);
      }
    }
  }
}

TEST(Hlir, OptionalInputsAndPadShapes) {
  NetBuilder b("g");
  Value* x = b.input({2, 4}, common::Float(32), "x");
  Value* w = b.input({3, 4}, common::Float(32), "w");
  Value* bias = b.input({3}, common::Float(32), "bias");
  EXPECT_EQ(b.linear(x, w)->type.to_string(), "float32[2, 3]");
  EXPECT_EQ(b.linear(x, w, bias)->producer->inputs.size(), 3u);
  EXPECT_THROW(b.call("linear", {x}), Error);
  EXPECT_THROW(b.call("linear", {x, w, bias, bias}), Error);
  EXPECT_EQ(b.pad(x, {1, 0, 2, 3})->type.to_string(), "float32[3, 9]");
  EXPECT_EQ(b.pad(x, {0, -1, -1, -1})->type.to_string(), "float32[1, 2]");
  EXPECT_THROW(b.pad(x, {1, 1}), ShapeError);
  EXPECT_THROW(b.pad(x, {0, 0, -2, -2}), ShapeError);
}

TEST(Hlir, BatchNormResultCountFollowsTraining) {
  NetBuilder b("g");
  Value* x = b.input({4, 3, 2, 2}, common::Float(32), "x");
  std::vector<Value*> p;
  for (const char* n : {"g", "b", "m", "v"}) p.push_back(b.input({3}, common::Float(32), n));
  EXPECT_EQ(b.batch_norm(x, p[0], p[1], p[2], p[3]).size(), 1u);
  auto outs = b.batch_norm(x, p[0], p[1], p[2], p[3], 1e-5, 0.1, true);
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_EQ(outs[1]->type.to_string(), "float32[3]");
}

TEST(Hlir, PassManagerVerifiesEveryPass) {
  NetBuilder b("g");
  Value* x = b.input({4, 8}, common::Float(32), "x");
  b.graph().set_outputs({b.exp(x)});
  GraphPassManager pm("");
  pm.add("copy", [](const Graph& g) { return rewrite_graph(g, nullptr); });
  // A broken pass: the exp node claims a result of the wrong shape.
  pm.add("broken", [](const Graph& g) {
    return rewrite_graph(g, [](Builder& nb, const Node& n, const std::vector<Value*>& in)
                                -> std::optional<std::vector<Value*>> {
      return nb.graph().add_node(n.op, in, n.attrs, {{{8, 4}, common::Float(32)}})->outputs;
    });
  });
  try {
    pm.run(b.graph());
    FAIL() << "expected an InternalError";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("pass 'broken'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pm.pass_names(), (std::vector<std::string>{"copy", "broken"}));
}

TEST(Hlir, VerifierRejectsUseBeforeDefinition) {
  Graph g("g");
  Value* x = g.add_input("x", {4}, common::Float(32));
  const OpInfo& exp = OpRegistry::global().get("exp");
  Node* n = g.add_node(&exp, {x}, exp.validate(1, {}), {{{4}, common::Float(32)}});
  Node* m = g.add_node(&exp, {x}, exp.validate(1, {}), {{{4}, common::Float(32)}});
  n->inputs[0] = m->outputs[0];  // node 0 now reads node 1's result
  g.set_outputs({n->outputs[0]});
  EXPECT_THROW(verify_graph(g), InternalError);
}

// in -> t1 -> t2 -> t3 -> out through four kernels on [256] f32 buffers.
struct ChainPlan {
  runtime::ExecutablePlan plan;
  int in, t1, t2, t3, out;
  explicit ChainPlan(bool inplace) {
    auto buf = [&](runtime::BufferSpec::Kind k) {
      runtime::BufferSpec b;
      b.name = "b" + std::to_string(plan.buffers.size());
      b.dtype = common::Float(32);
      b.shape = {256};
      b.kind = k;
      plan.buffers.push_back(b);
      return static_cast<int>(plan.buffers.size() - 1);
    };
    in = buf(runtime::BufferSpec::Kind::kInput);
    t1 = buf(runtime::BufferSpec::Kind::kTemp);
    t2 = buf(runtime::BufferSpec::Kind::kTemp);
    t3 = buf(runtime::BufferSpec::Kind::kTemp);
    out = buf(runtime::BufferSpec::Kind::kOutput);
    for (auto [a, b] : {std::pair{in, t1}, {t1, t2}, {t2, t3}, {t3, out}}) {
      runtime::Launch l;
      l.kernel = "k" + std::to_string(plan.launches.size());
      l.args = {a, b};
      if (inplace) l.inplace = {{1, 0}};
      plan.launches.push_back(l);
    }
  }
};

TEST(Runtime, MemoryPlanSharesBuffersWithDisjointLifetimes) {
  ChainPlan c(/*inplace=*/false);
  // t1 and t3 never live together; t2 overlaps both.
  EXPECT_EQ(runtime::plan_memory(&c.plan), 2 * 1024);
  EXPECT_EQ(c.plan.buffers[c.t1].offset, c.plan.buffers[c.t3].offset);
  EXPECT_NE(c.plan.buffers[c.t1].offset, c.plan.buffers[c.t2].offset);
}

TEST(Runtime, MemoryPlanInPlaceChainUsesOneBuffer) {
  ChainPlan c(/*inplace=*/true);
  // Each kernel may overwrite its input, which dies there: one buffer for t1, t2, t3.
  EXPECT_EQ(runtime::plan_memory(&c.plan), 1024);
  EXPECT_EQ(c.plan.buffers[c.t1].offset, c.plan.buffers[c.t2].offset);
  EXPECT_EQ(c.plan.buffers[c.t2].offset, c.plan.buffers[c.t3].offset);
}

TEST(Runtime, MemoryPlanInPlaceNeedsTheInputToDie) {
  ChainPlan c(/*inplace=*/true);
  // t1 is read again by the last kernel: k1 must not overwrite it.
  c.plan.launches[3].args.push_back(c.t1);
  runtime::plan_memory(&c.plan);
  EXPECT_NE(c.plan.buffers[c.t1].offset, c.plan.buffers[c.t2].offset);
  EXPECT_NE(c.plan.buffers[c.t1].offset, c.plan.buffers[c.t3].offset);
}

// Aliases: input p is updated in place by output q (p_new), written by launch W.
struct AliasPlan {
  runtime::ExecutablePlan plan;
  int p, x, q, r;
  AliasPlan() {
    auto buf = [&](runtime::BufferSpec::Kind k) {
      runtime::BufferSpec b;
      b.name = "b" + std::to_string(plan.buffers.size());
      b.dtype = common::Float(32);
      b.shape = {64};
      b.kind = k;
      plan.buffers.push_back(b);
      return static_cast<int>(plan.buffers.size() - 1);
    };
    p = buf(runtime::BufferSpec::Kind::kInput);
    x = buf(runtime::BufferSpec::Kind::kInput);
    q = buf(runtime::BufferSpec::Kind::kOutput);
    r = buf(runtime::BufferSpec::Kind::kOutput);
    plan.inputs = {p, x};
    plan.outputs = {r, q};
    plan.aliases = {{1, 0}};  // output 1 (q) replaces input 0 (p)
  }
  void launch(std::vector<int> args, std::vector<std::pair<int, int>> inplace = {}) {
    runtime::Launch l;
    l.kernel = "k" + std::to_string(plan.launches.size());
    l.args = std::move(args);
    l.inplace = std::move(inplace);
    plan.launches.push_back(l);
  }
};

TEST(Runtime, AliasedWriterMovesAfterTheReadersOfTheOldValue) {
  AliasPlan a;
  a.launch({a.x, a.q});  // k0: q = f(x)
  a.launch({a.p, a.r});  // k1: r = g(p), reads the old p
  EXPECT_EQ(runtime::plan_aliases(&a.plan), 1);
  ASSERT_EQ(a.plan.launches.size(), 2u);
  EXPECT_EQ(a.plan.launches[0].kernel, "k1");
  EXPECT_EQ(a.plan.launches[1].kernel, "k0");
  EXPECT_EQ(a.plan.buffers[a.q].kind, runtime::BufferSpec::Kind::kOutput);
}

TEST(Runtime, AliasedWriterReadingTheInputNeedsAnInPlacePair) {
  AliasPlan direct;
  direct.launch({direct.p, direct.x, direct.q}, {{2, 0}});  // q[i] = f(p[i], x)
  EXPECT_EQ(runtime::plan_aliases(&direct.plan), 1);
  EXPECT_EQ(direct.plan.buffers[direct.q].kind, runtime::BufferSpec::Kind::kOutput);

  AliasPlan copied;
  copied.launch({copied.p, copied.x, copied.q});  // reads p elsewhere than it writes q
  EXPECT_EQ(runtime::plan_aliases(&copied.plan), 0);
  EXPECT_EQ(copied.plan.buffers[copied.q].kind, runtime::BufferSpec::Kind::kTemp);
}

TEST(Runtime, AliasedOutputIsCopiedWhenAReaderNeedsBothValues) {
  AliasPlan a;
  a.launch({a.p, a.q}, {{1, 0}});  // k0: q = f(p)
  a.launch({a.p, a.q, a.r});       // k1: r = g(p, q): needs the old p after q exists
  EXPECT_EQ(runtime::plan_aliases(&a.plan), 0);
  EXPECT_EQ(a.plan.launches[0].kernel, "k0");
  EXPECT_EQ(a.plan.buffers[a.q].kind, runtime::BufferSpec::Kind::kTemp);
  // q, copied out after the last launch, lives to the end of the arena plan.
  runtime::plan_memory(&a.plan);
  EXPECT_GE(a.plan.arena_bytes, 256);
}

TEST(Runtime, AliasErrors) {
  AliasPlan size;
  size.plan.buffers[size.q].shape = {32};
  EXPECT_THROW(runtime::plan_aliases(&size.plan), InternalError);
  AliasPlan twice;
  twice.plan.outputs = {twice.p, twice.q};  // the updated input also returned
  EXPECT_THROW(runtime::plan_aliases(&twice.plan), InternalError);
}

}  // namespace
}  // namespace cinn::hlir
