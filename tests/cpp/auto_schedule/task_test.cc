// auto_schedule/task: kernels of one structure share a key whatever their names; the
// canonical trace of a default schedule, instantiated again, replays to the schedule the
// rules make; derived names follow their base.
#include "cinn/auto_schedule/task.h"

#include <gtest/gtest.h>

#include "cinn/backends/backend.h"
#include "cinn/common/error.h"
#include "cinn/frontend/tune.h"
#include "cinn/ir/equality.h"

namespace cinn::auto_schedule {
namespace {

using common::Float;

// Two matmul layers of one shape and a third of another shape, a conv and a softmax.
frontend::Program model() {
  frontend::NetBuilder b("m");
  auto* x = b.input({16, 64}, Float(32), "x");
  auto* w1 = b.input({64, 64}, Float(32), "w1");
  auto* w2 = b.input({64, 64}, Float(32), "w2");
  auto* w3 = b.input({64, 32}, Float(32), "w3");
  auto* h = b.matmul(b.matmul(x, w1), w2);
  auto* y = b.softmax(b.matmul(h, w3));
  auto* img = b.input({1, 8, 12, 12}, Float(32), "img");
  auto* k = b.input({16, 8, 3, 3}, Float(32), "k");
  auto* c = b.conv2d(img, k, {1, 1}, {1, 1});
  return b.build({y, c});
}

TEST(Task, KernelsOfOneStructureShareAKey) {
  common::Target target = common::Target::host_x86();
  frontend::CompileOptions no_fusion;
  no_fusion.fusion = false;
  std::vector<Task> tasks = frontend::extract_tasks(model(), target, no_fusion);
  std::vector<int> matmul_weights;
  for (const Task& t : tasks) {
    EXPECT_EQ(t.key.size(), 16u);
    if (t.name.find("matmul") != std::string::npos) matmul_weights.push_back(t.weight);
  }
  // x @ w1 and (x w1) @ w2 are one task; h @ w3 another.
  EXPECT_EQ(matmul_weights, (std::vector<int>{2, 1}));
  // The key depends on the target.
  common::Target cuda = common::Target::cuda();
  std::vector<Task> on_cuda = frontend::extract_tasks(model(), cuda, no_fusion);
  ASSERT_EQ(on_cuda.size(), tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) EXPECT_NE(tasks[i].key, on_cuda[i].key);
}

// (Replays across the kernels of one task, whose names differ, are tested in
// tests/python/test_tuning.py: test_records_replay_on_every_kernel_of_a_task_...)
TEST(Task, ACanonicalTraceReplaysOnItsKernel) {
  common::Target target = common::Target::host_x86();
  frontend::CompileOptions no_fusion;
  no_fusion.fusion = false;
  std::vector<Task> tasks = frontend::extract_tasks(model(), target, no_fusion);
  const backends::Backend& backend = backends::backend_for(target);
  // Every kernel: the default schedule's trace, made canonical and instantiated again,
  // replays to the same function.
  for (const Task& t : tasks) {
    backends::ScheduleParams params;
    if (t.kind == backends::KernelKind::kOutFusible) params = {{"matmul_mr", 4}, {"conv_fr", 4}};
    ir::IRSchedule sch(t.func);
    backend.schedule(sch, t.kind, target, params);
    ir::Trace canonical = canonical_trace(sch.trace(), t);
    for (const ir::TraceStep& st : canonical.steps) {
      for (const std::string& s : st.strs) {
        for (const std::string& n : t.names)
          EXPECT_NE(s, n) << "a name left in the canonical trace";
      }
    }
    ir::Trace back = instantiate_trace(ir::Trace::from_json(canonical.to_json()), t);
    ir::IRSchedule replayed = ir::IRSchedule::replay(t.func, back);
    EXPECT_TRUE(ir::structural_equal(replayed.func().body(), sch.func().body())) << t.name;
  }
  // A placeholder the task has no name for.
  ir::Trace bad;
  bad.steps.push_back({"get_block", {}, {0}, {}, {}, {"$99"}});
  EXPECT_THROW(instantiate_trace(bad, tasks[0]), ScheduleError);
  bad.steps[0].strs = {"$x"};
  EXPECT_THROW(instantiate_trace(bad, tasks[0]), ScheduleError);
  // A literal string starting with '$' survives the round trip.
  bad.steps[0].strs = {"$lit"};
  EXPECT_EQ(instantiate_trace(canonical_trace(bad, tasks[0]), tasks[0]).steps[0].strs[0], "$lit");
}

// Names a schedule derives from a task's names (cache_read's "w_global", rfactor's "b_rf")
// are canonical by the longest task name they extend, and come back with the other
// kernel's name.
TEST(Task, DerivedNamesFollowTheirBase) {
  Task a, b;
  a.names = {"x", "layer1.0.w", "layer1.0.w_pad", "v1", "v12"};
  b.names = {"x", "layer1.1.w", "layer1.1.w_pad", "v7", "v70"};
  std::vector<std::string> from = {"layer1.0.w_global", "layer1.0.w_pad_global", "v12_rf", "v1_x_1",
                                   "unrelated_name"};
  ir::Trace t;
  for (const std::string& n : from) t.steps.push_back({"get_block", {}, {0}, {}, {}, {n}});
  // Only name slots are renamed: not a scope, an axis or an annotation.
  t.steps.push_back({"cache_read", {0}, {1}, {}, {}, {"v1", "shared"}});
  t.steps.push_back({"annotate", {0}, {}, {}, {}, {"v1", "x"}});
  ir::Trace c = canonical_trace(t, a);
  std::vector<std::string> got;
  for (const auto& st : c.steps) got.push_back(st.strs[0]);
  EXPECT_EQ(got, (std::vector<std::string>{"$1_global", "$2_global", "$4_rf", "$3_x_1",
                                           "unrelated_name", "$3", "v1"}));
  EXPECT_EQ(c.steps[5].strs[1], "shared");
  EXPECT_EQ(c.steps[6].strs[1], "x");
  ir::Trace back = instantiate_trace(c, b);
  got.clear();
  for (const auto& st : back.steps) got.push_back(st.strs[0]);
  EXPECT_EQ(got, (std::vector<std::string>{"layer1.1.w_global", "layer1.1.w_pad_global", "v70_rf",
                                           "v7_x_1", "unrelated_name", "v7", "v1"}));
  c.steps[0].strs = {"$1x"};
  EXPECT_THROW(instantiate_trace(c, b), ScheduleError);
}

TEST(Task, StableHashIsFnv1a) {
  EXPECT_EQ(stable_hash(""), "cbf29ce484222325");
  EXPECT_EQ(stable_hash("a"), "af63dc4c8601ec8c");
}

}  // namespace
}  // namespace cinn::auto_schedule
