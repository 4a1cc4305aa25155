// The matmul the backend tests schedule, and its reference check (shared by llvm_test.cc and
// schedule_x86_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cinn/backends/build.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"

namespace cinn::backends::testing {

// C[M, N] = A[M, K] @ B[K, N], lowered and unscheduled; the block is named "C".
inline ir::LoweredFunc lower_matmul(const std::string& name, int64_t M, int64_t N, int64_t K) {
  using ir::Expr;
  lang::Tensor a = lang::placeholder({Expr(M), Expr(K)}, common::Float(32), "A");
  lang::Tensor b = lang::placeholder({Expr(K), Expr(N)}, common::Float(32), "B");
  lang::ReduceAxis k = lang::reduce_axis(Expr(K), "k");
  lang::Tensor c = lang::compute(
      {Expr(M), Expr(N)},
      [&](const std::vector<Expr>& i) { return lang::sum(a(i[0], k.var) * b(k.var, i[1]), {k}); },
      "C");
  return lang::lower(name, {a, b, c});
}

// Runs a matmul kernel on inputs uniform in [-1, 1) and compares with a double reference.
inline void check_matmul(const Kernel& kern, int64_t M, int64_t N, int64_t K, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> av(M * K), bv(K * N), cv(M * N);
  for (auto& x : av) x = d(gen);
  for (auto& x : bv) x = d(gen);
  void* args[] = {av.data(), bv.data(), cv.data()};
  kern.call(args, nullptr);
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double ref = 0;
      for (int64_t kk = 0; kk < K; ++kk) ref += double(av[i * K + kk]) * bv[kk * N + j];
      ASSERT_NEAR(cv[i * N + j], ref, 1e-4) << i << "," << j;
    }
  }
}

}  // namespace cinn::backends::testing
