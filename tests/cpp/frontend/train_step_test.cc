// frontend: programs whose outputs update inputs in place (Program::aliases): kernels
// write straight into the input where the plan allows, else the result is copied in, and
// either way the values are those of the program without aliasing. And train_step's
// signature.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cinn/frontend/compile.h"
#include "cinn/frontend/train_step.h"

namespace cinn::frontend {
namespace {

using common::Float;

CompileOptions no_cache(bool fusion) {
  CompileOptions o;
  o.fusion = fusion;
  o.cache = false;
  return o;
}

// p' = p * 2 replaces p; q = p' + p needs the old p after p' exists (a copy), and
// r = x * 3 is independent.
TEST(Aliases, OutputNeedingTheOldValueIsCopiedIn) {
  for (bool fusion : {true, false}) {
    NetBuilder b("alias");
    Value* p = b.input({100}, Float(32), "p");
    Value* x = b.input({100}, Float(32), "x");
    Value* p2 = b.mul(p, b.scalar(2.0, Float(32)));
    Value* q = b.add(p2, p);
    Value* r = b.mul(x, b.scalar(3.0, Float(32)));
    Program prog = b.build({q, r, p2});
    prog.set_aliases({{2, 0}});
    auto c = compile(prog, common::Target::host_x86(), no_cache(fusion));
    EXPECT_EQ(c->executable->aliases_in_place(), 0) << "fusion " << fusion;
    std::vector<float> pv(100), xv(100), qv(100), rv(100);
    for (int i = 0; i < 100; ++i) pv[i] = static_cast<float>(i), xv[i] = static_cast<float>(-i);
    c->executable->run({pv.data(), xv.data()}, {qv.data(), rv.data(), pv.data()});
    for (int i = 0; i < 100; ++i) {
      ASSERT_EQ(qv[i], 3.0f * static_cast<float>(i)) << i;
      ASSERT_EQ(rv[i], -3.0f * static_cast<float>(i)) << i;
      ASSERT_EQ(pv[i], 2.0f * static_cast<float>(i)) << i;
    }
  }
}

// p' = p * 2 is computed elementwise from p alone, and s = sum(p) reads the old p: the
// reduction runs first, then p' is written over p.
TEST(Aliases, ElementwiseUpdateWritesInPlaceAfterTheReaders) {
  NetBuilder b("alias");
  Value* p = b.input({64, 32}, Float(32), "p");
  Value* p2 = b.mul(p, b.scalar(2.0, Float(32)));
  Value* s = b.sum(b.exp(p), {0, 1});
  Program prog = b.build({p2, s});
  prog.set_aliases({{0, 0}});
  auto c = compile(prog, common::Target::host_x86(), no_cache(false));
  EXPECT_EQ(c->executable->aliases_in_place(), 1);
  std::vector<float> pv(64 * 32);
  double expect = 0;
  for (size_t i = 0; i < pv.size(); ++i) {
    pv[i] = static_cast<float>(i % 7) * 0.1f;
    expect += std::exp(static_cast<double>(pv[i]));
  }
  std::vector<float> old = pv;
  float sv = 0;
  c->executable->run({pv.data()}, {pv.data(), &sv});
  EXPECT_NEAR(sv, expect, 1e-3 * expect);
  for (size_t i = 0; i < pv.size(); ++i) ASSERT_EQ(pv[i], 2.0f * old[i]);
}

TEST(Aliases, SetAliasesChecksTheSignature) {
  NetBuilder b("alias");
  Value* p = b.input({4}, Float(32), "p");
  Value* y = b.sum(p, {0});
  Program prog = b.build({y, b.exp(p), p});
  EXPECT_THROW(prog.set_aliases({{0, 0}}), Error);           // float32[] vs float32[4]
  EXPECT_THROW(prog.set_aliases({{3, 0}}), Error);           // no output 3
  EXPECT_THROW(prog.set_aliases({{1, 0}, {1, 0}}), Error);   // twice
  EXPECT_THROW(prog.set_aliases({{1, 0}}), Error);           // p is also output 2
}

TEST(TrainStep, SignatureAddsOptimizerStateAndAliasesIt) {
  NetBuilder b("lin");
  Value* x = b.input({8, 4}, Float(32), "x");
  Value* w = b.input({4, 3}, Float(32), "w");
  Value* loss = b.mean(b.square(b.matmul(x, w)), {0, 1});
  Program p = b.build({loss});
  Program step = train_step(p, p.from_built(loss), {p.from_built(w)}, Optimizer::adam(1e-3));
  std::vector<std::string> names;
  for (const Value* v : step.graph().inputs()) names.push_back(v->name);
  EXPECT_EQ(names, (std::vector<std::string>{"x", "w", "w.exp_avg", "w.exp_avg_sq", "optimizer.lr", "optimizer.step"}));
  EXPECT_EQ(step.graph().outputs().size(), 5u);  // loss, w', m', v', step'
  EXPECT_EQ(step.aliases(), (std::vector<std::pair<int, int>>{{1, 1}, {2, 2}, {3, 3}, {4, 5}}));
  EXPECT_THROW(train_step(p, p.from_built(loss), {p.from_built(loss)}, Optimizer::sgd(0.1)), Error);
  EXPECT_THROW(train_step(p, p.from_built(loss), {}, Optimizer::sgd(0.1)), Error);
}

}  // namespace
}  // namespace cinn::frontend
