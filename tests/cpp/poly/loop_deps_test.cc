// Dependences of hand-built loop IR (cinn/poly/loop_deps.h).
#include "cinn/poly/loop_deps.h"

#include <gtest/gtest.h>

#include "cinn/ir/ir_operators.h"

namespace cinn::poly {

using namespace ir;  // NOLINT

namespace {

using common::Float;

Stmt loop(const Expr& v, Expr lo, Expr extent, Stmt body) {
  return For::make(v, std::move(lo), std::move(extent), ForKind::kSerial, std::move(body));
}

IterVar iter(const std::string& name, Expr lo, Expr extent, bool reduce = false) {
  return {Var::make(name),
          {std::move(lo), std::move(extent)},
          reduce ? IterVar::Kind::kReduce : IterVar::Kind::kSpatial};
}

// A block whose body `make_body(iter_vars)` is bound to `values`.
template <typename F>
Stmt block(const std::string& name, std::vector<IterVar> ivs, std::vector<Expr> values, F make_body,
           Stmt init = Stmt()) {
  std::vector<Expr> vars;
  for (const IterVar& iv : ivs) vars.push_back(iv.var);
  Stmt b = ScheduleBlock::make(name, ivs, {}, {}, std::move(init), make_body(vars));
  return ScheduleBlockRealize::make(std::move(values), b);
}

LoweredFunc func(const std::vector<Buffer>& bufs, Stmt body, std::vector<Expr> sizes = {}) {
  std::vector<Argument> args;
  for (const Buffer& b : bufs) args.push_back({b, Argument::Kind::kOutput});
  return LoweredFunc::make("f", args, std::move(sizes), {}, std::move(body));
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// X[i, j] = X[i - 1, j + 1] + 1 over i in [1, n), j in [0, n - 1); loops in `order`.
struct Stencil {
  Expr n, i = Var::make("i"), j = Var::make("j");
  Buffer x;
  explicit Stencil(Expr size) : n(std::move(size)), x(Buffer::make("X", Float(32), {n, n})) {}
  Stmt nest(bool j_outside) const {
    Stmt b =
        block("X", {iter("vi", Expr(1), n - 1), iter("vj", Expr(0), n - 1)}, {i, j},
              [&](const std::vector<Expr>& v) {
                return Store::make(x, Load::make(x, {v[0] - 1, v[1] + 1}) + 1.0f, {v[0], v[1]});
              });
    if (j_outside) return loop(j, Expr(0), n - 1, loop(i, Expr(1), n - 1, b));
    return loop(i, Expr(1), n - 1, loop(j, Expr(0), n - 1, b));
  }
  LoweredFunc f(bool j_outside = false) const {
    std::vector<Expr> sizes;
    if (n.as<Var>()) sizes.push_back(n);
    return func({x}, nest(j_outside), sizes);
  }
};

}  // namespace

TEST(LoopDeps, ElementwiseLoopsAreIndependent) {
  Buffer a = Buffer::make("A", Float(32), {Expr(8), Expr(6)});
  Buffer b = Buffer::make("B", Float(32), {Expr(8), Expr(6)});
  Expr i = Var::make("i"), j = Var::make("j");
  Stmt body = loop(i, 0, 8,
                   loop(j, 0, 6,
                        block("B", {iter("vi", 0, 8), iter("vj", 0, 6)}, {i, j},
                              [&](const std::vector<Expr>& v) {
                                return Store::make(b, Load::make(a, v) * 2.0f, v);
                              })));
  LoweredFunc f = func({a, b}, body);
  EXPECT_EQ(loop_carried_dependence(f, i), "");
  EXPECT_EQ(loop_carried_dependence(f, j), "");
}

TEST(LoopDeps, StencilDependenceIsCarriedByTheOuterLoopOnly) {
  for (Expr n : {Expr(16), Var::make("n")}) {
    Stencil s(n);
    std::string d = loop_carried_dependence(s.f(), s.i);
    EXPECT_TRUE(has(d, "block 'X' writes X[i, j] and reads it as X[i - 1, j + 1]")) << d;
    EXPECT_TRUE(has(d, "loop 'i'") && has(d, "read after write")) << d;
    EXPECT_EQ(loop_carried_dependence(s.f(), s.j), "");
    // With j outside, the (1, -1) distance becomes (-1, 1) in (j, i) order: reversed.
    std::string r = check_dependences_preserved(s.f(), s.f(/*j_outside=*/true));
    EXPECT_TRUE(has(r, "X[i - 1, j + 1]") && has(r, "other way round")) << r;
    EXPECT_EQ(check_dependences_preserved(s.f(), s.f()), "");
  }
}

TEST(LoopDeps, InterchangeThatKeepsTheDistancePositiveIsAllowed) {
  // X[i, j] = X[i - 1, j]: distance (1, 0) becomes (0, 1) after interchange.
  Buffer x = Buffer::make("X", Float(32), {Expr(8), Expr(8)});
  Expr i = Var::make("i"), j = Var::make("j");
  auto b =
      block("X", {iter("vi", 1, 7), iter("vj", 0, 8)}, {i, j}, [&](const std::vector<Expr>& v) {
        return Store::make(x, Load::make(x, {v[0] - 1, v[1]}) + 1.0f, v);
      });
  LoweredFunc f = func({x}, loop(i, 1, 7, loop(j, 0, 8, b)));
  LoweredFunc g = func({x}, loop(j, 0, 8, loop(i, 1, 7, b)));
  EXPECT_EQ(check_dependences_preserved(f, g), "");
  EXPECT_EQ(loop_carried_dependence(g, j), "");
  EXPECT_NE(loop_carried_dependence(g, i), "");
}

TEST(LoopDeps, ProducerAndConsumerInOneLoop) {
  // for i: { T[i] = A[i] * 2; C[i] = T[i - shift] + 1 }
  for (int shift : {0, 1}) {
    Buffer a = Buffer::make("A", Float(32), {Expr(16)});
    Buffer t = Buffer::make("T", Float(32), {Expr(16)});
    Buffer c = Buffer::make("C", Float(32), {Expr(16)});
    Expr i = Var::make("i");
    Stmt producer = block("T", {iter("vt", 0, 16)}, {i}, [&](const std::vector<Expr>& v) {
      return Store::make(t, Load::make(a, v) * 2.0f, v);
    });
    Stmt consumer =
        block("C", {iter("vc", shift, 16 - shift)}, {i}, [&](const std::vector<Expr>& v) {
          return Store::make(c, Load::make(t, {v[0] - shift}) + 1.0f, v);
        });
    Stmt body = loop(i, 0, 16, Block::make({producer, IfThenElse::make(i >= shift, consumer)}));
    LoweredFunc f = func({a, t, c}, body);
    std::string d = loop_carried_dependence(f, i);
    if (shift == 0) {
      EXPECT_EQ(d, "");
    } else {
      EXPECT_TRUE(has(d, "block 'T' writes T[i] and block 'C' reads it as T[i - 1]")) << d;
      EXPECT_TRUE(has(d, "e.g. i=0 then i=1")) << d;
    }
  }
}

TEST(LoopDeps, GuardsRestrictTheInstances) {
  // for i in [0, 16): if (i >= 8) X[i] = X[i - 8]: reads X[0..7], writes X[8..15].
  Buffer x = Buffer::make("X", Float(32), {Expr(16)});
  Expr i = Var::make("i");
  auto copy = [&](const std::vector<Expr>& v) {
    return Store::make(x, Load::make(x, {v[0] - 8}), v);
  };
  Stmt b = block("X", {iter("v", 0, 16)}, {i}, copy);
  EXPECT_EQ(loop_carried_dependence(func({x}, loop(i, 0, 16, IfThenElse::make(i >= 8, b))), i), "");
  Stmt in_else = IfThenElse::make(i < 8, Evaluate::make(Expr(0)), b);
  EXPECT_EQ(loop_carried_dependence(func({x}, loop(i, 0, 16, in_else)), i), "");
  // Without the guard, the writes of X[0..7] meet the reads at i + 8.
  EXPECT_NE(loop_carried_dependence(func({x}, loop(i, 0, 16, b)), i), "");
  // A guard isl cannot represent is dropped: the answer errs on the side of a dependence.
  Buffer m = Buffer::make("M", common::Int(32), {Expr(16)});
  Stmt opaque = IfThenElse::make(Load::make(m, {i}) > 0, b);
  EXPECT_NE(loop_carried_dependence(func({x, m}, loop(i, 0, 16, opaque)), i), "");
}

TEST(LoopDeps, NonAffineIndexMayTouchAnyElement) {
  Buffer x = Buffer::make("X", Float(32), {Expr(16)});
  Expr i = Var::make("i");
  Stmt b = block("X", {iter("v", 0, 4)}, {i}, [&](const std::vector<Expr>& v) {
    return Store::make(x, Expr(1.0f), {v[0] * v[0]});
  });
  std::string d = loop_carried_dependence(func({x}, loop(i, 0, 4, b)), i);
  EXPECT_TRUE(has(d, "writes it again") && has(d, "write after write")) << d;
}

TEST(LoopDeps, ReductionAccumulationIsNotADependence) {
  // C[i, j] = sum_k A[i, k] * B[k, j]; reordering k outside is allowed, and only the
  // structural check (schedule.cc) keeps k from being parallelized.
  Buffer a = Buffer::make("A", Float(32), {Expr(4), Expr(8)});
  Buffer b = Buffer::make("B", Float(32), {Expr(8), Expr(4)});
  Buffer c = Buffer::make("C", Float(32), {Expr(4), Expr(4)});
  Expr i = Var::make("i"), j = Var::make("j"), k = Var::make("k");
  std::vector<IterVar> ivs = {iter("vi", 0, 4), iter("vj", 0, 4), iter("vk", 0, 8, true)};
  Stmt init = Store::make(c, Expr(0.0f), {ivs[0].var, ivs[1].var});
  Stmt mm = block(
      "C", ivs, {i, j, k},
      [&](const std::vector<Expr>& v) {
        return Store::make(
            c,
            Load::make(c, {v[0], v[1]}) + Load::make(a, {v[0], v[2]}) * Load::make(b, {v[2], v[1]}),
            {v[0], v[1]});
      },
      init);
  LoweredFunc f = func({a, b, c}, loop(i, 0, 4, loop(j, 0, 4, loop(k, 0, 8, mm))));
  LoweredFunc g = func({a, b, c}, loop(k, 0, 8, loop(i, 0, 4, loop(j, 0, 4, mm))));
  for (const Expr& l : {i, j, k}) EXPECT_EQ(loop_carried_dependence(f, l), "");
  EXPECT_EQ(check_dependences_preserved(f, g), "");
}

TEST(LoopDeps, ReductionIntoABlockedLayout) {
  // S'[vi // 4, vi % 4] = sum_k A[vi, k]: still one output per vi, so i carries nothing.
  // S''[vi // 4] = sum_k A[vi, k] sums four vi into one element: i carries that.
  for (bool blocked : {true, false}) {
    Buffer a = Buffer::make("A", Float(32), {Expr(16), Expr(8)});
    Buffer s = blocked ? Buffer::make("S", Float(32), {Expr(4), Expr(4)})
                       : Buffer::make("S", Float(32), {Expr(4)});
    Expr i = Var::make("i"), k = Var::make("k");
    std::vector<IterVar> ivs = {iter("vi", 0, 16), iter("vk", 0, 8, true)};
    std::vector<Expr> out = {ivs[0].var / 4};
    if (blocked) out.push_back(ivs[0].var % 4);
    Stmt r = block(
        "S", ivs, {i, k},
        [&](const std::vector<Expr>& v) {
          return Store::make(s, Load::make(s, out) + Load::make(a, v), out);
        },
        Store::make(s, Expr(0.0f), out));
    LoweredFunc f = func({a, s}, loop(i, 0, 16, loop(k, 0, 8, r)));
    std::string d = loop_carried_dependence(f, i);
    EXPECT_EQ(d.empty(), blocked) << d;
    EXPECT_EQ(loop_carried_dependence(f, k), "");
  }
}

TEST(LoopDeps, ReductionDependenceThroughASpatialLoopIsReal) {
  // S[i] = S[i - 1] + sum_k A[i, k]: the read of S[i - 1] links different outputs.
  Buffer a = Buffer::make("A", Float(32), {Expr(8), Expr(4)});
  Buffer s = Buffer::make("S", Float(32), {Expr(8)});
  Expr i = Var::make("i"), k = Var::make("k");
  Stmt r = block(
      "S", {iter("vi", 1, 7), iter("vk", 0, 4, true)}, {i, k}, [&](const std::vector<Expr>& v) {
        return Store::make(s, Load::make(s, {v[0]}) + Load::make(s, {v[0] - 1}) * Load::make(a, v),
                           {v[0]});
      });
  LoweredFunc f = func({a, s}, loop(i, 1, 7, loop(k, 0, 4, r)));
  std::string d = loop_carried_dependence(f, i);
  EXPECT_TRUE(has(d, "S[i - 1]") && has(d, "loop 'i'")) << d;
  EXPECT_EQ(loop_carried_dependence(f, k), "");
}

TEST(LoopDeps, FusedLoopKeepsTheOrder) {
  // X[i, j] = X[i - 1, j + 1] with (i, j) fused into f: i = 1 + f / 15, j = f % 15.
  Stencil s(Expr(16));
  Expr fv = Var::make("i_j_fused");
  Stmt b =
      block("X", {iter("vi", 1, 15), iter("vj", 0, 15)}, {1 + fv / 15, fv % 15},
            [&](const std::vector<Expr>& v) {
              return Store::make(s.x, Load::make(s.x, {v[0] - 1, v[1] + 1}) + 1.0f, {v[0], v[1]});
            });
  LoweredFunc fused = func({s.x}, loop(fv, 0, 225, b));
  EXPECT_EQ(check_dependences_preserved(s.f(), fused), "");
  EXPECT_NE(loop_carried_dependence(fused, fv), "");
}

TEST(LoopDeps, TwoBlocksInOneNestUnderInterchange) {
  // for i, j: { P: X[i, j] = A[i, j]; Q: Y[i, j] = X[i - di, j + dj] }
  struct Case {
    int di, dj;
    bool reversed;
  };
  for (Case k : {Case{0, 0, false}, Case{1, 0, false}, Case{1, -1, false}, Case{1, 1, true}}) {
    Buffer a = Buffer::make("A", Float(32), {Expr(8), Expr(8)});
    Buffer x = Buffer::make("X", Float(32), {Expr(8), Expr(8)});
    Buffer y = Buffer::make("Y", Float(32), {Expr(8), Expr(8)});
    Expr i = Var::make("i"), j = Var::make("j");
    Stmt p = block("P", {iter("pi", 0, 8), iter("pj", 0, 8)}, {i, j},
                   [&](const std::vector<Expr>& v) { return Store::make(x, Load::make(a, v), v); });
    Stmt q =
        block("Q", {iter("qi", 0, 8), iter("qj", 0, 8)}, {i, j}, [&](const std::vector<Expr>& v) {
          return Store::make(y, Load::make(x, {v[0] - k.di, v[1] + k.dj}), v);
        });
    Stmt guarded = IfThenElse::make(i >= k.di && j + k.dj >= 0 && j + k.dj < 8, q);
    Stmt body = Block::make({p, guarded});
    LoweredFunc f = func({a, x, y}, loop(i, 0, 8, loop(j, 0, 8, body)));
    LoweredFunc g = func({a, x, y}, loop(j, 0, 8, loop(i, 0, 8, body)));
    std::string r = check_dependences_preserved(f, g);
    EXPECT_EQ(!r.empty(), k.reversed) << k.di << ", " << k.dj << ": " << r;
    EXPECT_EQ(check_dependences_preserved(f, g, /*scope=*/i), r);
    EXPECT_EQ(loop_carried_dependence(f, i).empty(), k.di == 0);
    EXPECT_EQ(loop_carried_dependence(f, j).empty(), k.di != 0 || k.dj == 0);
  }
}

TEST(LoopDeps, BlocksInSeparateNestsAreOrderedBySequence) {
  // for i: P writes T[i]; for i2: Q reads T[15 - i2]. Reversing i2 is not possible, but
  // any order of one nest keeps P before Q, and neither loop carries a dependence.
  Buffer t = Buffer::make("T", Float(32), {Expr(16)});
  Buffer c = Buffer::make("C", Float(32), {Expr(16)});
  Expr i = Var::make("i"), i2 = Var::make("i2");
  Stmt p = block("P", {iter("vp", 0, 16)}, {i},
                 [&](const std::vector<Expr>& v) { return Store::make(t, Expr(1.0f), v); });
  Stmt q = block("Q", {iter("vq", 0, 16)}, {i2}, [&](const std::vector<Expr>& v) {
    return Store::make(c, Load::make(t, {15 - v[0]}), v);
  });
  LoweredFunc f = func({t, c}, Block::make({loop(i, 0, 16, p), loop(i2, 0, 16, q)}));
  EXPECT_EQ(loop_carried_dependence(f, i), "");
  EXPECT_EQ(loop_carried_dependence(f, i2), "");
  // Swapping the two nests runs the reads first.
  LoweredFunc g = func({t, c}, Block::make({loop(i2, 0, 16, q), loop(i, 0, 16, p)}));
  std::string r = check_dependences_preserved(f, g);
  EXPECT_TRUE(has(r, "block 'P' writes T[i] and block 'Q' reads it as T[15 - i2]")) << r;
}

}  // namespace cinn::poly
