// The default x86 schedule's templates take explicit tile parameters (what the auto-scheduler
// samples); the kernels stay correct with any that fit.
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <vector>

#include "cinn/backends/build.h"
#include "cinn/backends/schedule_x86.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"
#include "matmul_test_util.h"

namespace cinn::backends {
namespace {

using common::Float;
using ir::Expr;

int count(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  return std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator());
}

std::vector<float> random_vector(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

// C[M, N] = A[M, K] @ B[K, N], scheduled by the kOutFusible template.
ir::IRSchedule matmul(int64_t M, int64_t N, int64_t K, const X86TileParams& p) {
  ir::IRSchedule sch(testing::lower_matmul("mm", M, N, K));
  schedule_x86(sch, KernelKind::kOutFusible, common::Target::host_x86(), p);
  return sch;
}

TEST(ScheduleX86, MatmulTileIsAParameter) {
  const int64_t M = 24, N = 64, K = 96;
  X86TileParams p;
  p.matmul_mr = 4;
  p.matmul_nr = 16;
  p.matmul_kc = 32;
  ir::IRSchedule sch = matmul(M, N, K, p);
  std::string ir = sch.func().to_string();
  EXPECT_EQ(count(ir, R"(unrolled for \(\w+, 0, 4\))"), 1) << ir;
  EXPECT_EQ(count(ir, R"(vectorized for \(\w+, 0, 16\))"), 1) << ir;
  EXPECT_EQ(count(ir, R"(for \(\w+, 0, 32\))"), 1) << ir;  // the k block
  testing::check_matmul(*build(sch.func(), common::Target::host_x86()), M, N, K, 1);
  // The defaults differ: 8 rows and two vectors of columns.
  std::string def = matmul(M, N, K, {}).func().to_string();
  EXPECT_EQ(count(def, R"(unrolled for \(\w+, 0, 8\))"), 1) << def;
}

// out[n, f, y, x] = sum_{c, r, s} in[n, c, y + r, x + s] * w[f, c, r, s] (no padding).
TEST(ScheduleX86, ConvTileIsAParameter) {
  const int64_t N = 1, C = 3, F = 8, H = 16, W = 16, R = 3, OH = H - R + 1, OW = W - R + 1;
  lang::Tensor in = lang::placeholder({Expr(N), Expr(C), Expr(H), Expr(W)}, Float(32), "I");
  lang::Tensor w = lang::placeholder({Expr(F), Expr(C), Expr(R), Expr(R)}, Float(32), "W");
  lang::ReduceAxis c = lang::reduce_axis(Expr(C), "c");
  lang::ReduceAxis r = lang::reduce_axis(Expr(R), "r");
  lang::ReduceAxis s = lang::reduce_axis(Expr(R), "s");
  lang::Tensor out = lang::compute(
      {Expr(N), Expr(F), Expr(OH), Expr(OW)},
      [&](const std::vector<Expr>& i) {
        return lang::sum(in(i[0], c.var, i[2] + r.var, i[3] + s.var) * w(i[1], c.var, r.var, s.var),
                         {c, r, s});
      },
      "O");
  X86TileParams p;
  p.conv_xv = 7;
  p.conv_fr = 2;
  p.conv_yr = 7;
  ir::IRSchedule sch(lang::lower("conv", {in, w, out}));
  schedule_x86(sch, KernelKind::kOutFusible, common::Target::host_x86(), p);
  std::string ir = sch.func().to_string();
  EXPECT_EQ(count(ir, R"(vectorized for \(\w+, 0, 7\))"), 1) << ir;
  EXPECT_EQ(count(ir, R"(unrolled for \(\w+, 0, 2\))"), 1) << ir;
  EXPECT_EQ(count(ir, R"(unrolled for \(\w+, 0, 7\))"), 1) << ir;
  auto kern = build(sch.func(), common::Target::host_x86());
  std::vector<float> iv = random_vector(N * C * H * W, 3), wv = random_vector(F * C * R * R, 4);
  std::vector<float> ov(N * F * OH * OW);
  void* args[] = {iv.data(), wv.data(), ov.data()};
  kern->call(args, nullptr);
  for (int64_t f = 0; f < F; ++f) {
    for (int64_t y = 0; y < OH; ++y) {
      for (int64_t x = 0; x < OW; ++x) {
        double ref = 0;
        for (int64_t cc = 0; cc < C; ++cc) {
          for (int64_t rr = 0; rr < R; ++rr) {
            for (int64_t ss = 0; ss < R; ++ss) {
              ref += double(iv[(cc * H + y + rr) * W + x + ss]) * wv[((f * C + cc) * R + rr) * R + ss];
            }
          }
        }
        ASSERT_NEAR(ov[(f * OH + y) * OW + x], ref, 1e-4) << f << "," << y << "," << x;
      }
    }
  }
  // A vector width that does not divide the output width (14) is not applied.
  p.conv_xv = 5;
  ir::IRSchedule bad(lang::lower("conv", {in, w, out}));
  schedule_x86(bad, KernelKind::kOutFusible, common::Target::host_x86(), p);
  EXPECT_EQ(count(bad.func().to_string(), R"(vectorized for \(\w+, 0, 5\))"), 0);
}

}  // namespace
}  // namespace cinn::backends
