// Vectorizable approximations of the float32 math intrinsics.
//
// LLVM cannot vectorize a loop that calls expf, tanhf or erff, and scalar libm calls cost
// 10-40x the arithmetic around them. This pass replaces every float32 call of
//
//   exp exp2 expm1 log log2 log10 log1p tanh sigmoid erf pow sin cos
//
// by straight-line IR: range reduction, a polynomial, and Selects for the special values
// (Cephes/SLEEF style), so that the loop vectorizer, or vectorize_loops, sees only
// arithmetic. Intermediate values are bound with Let, so the result is a tree of linear size.
//
// Accuracy: each function has a bound in ulp over the whole float32 domain, written next to
// its formula (lower_math_*.cc) and in docs/math.md, and checked against numpy by
// tests/python/test_math.py. Special values follow C99 Annex F and numpy: infinities, NaN,
// overflow to inf and underflow to (sub)normals or 0, signed zeros (tanh(-0) = -0, log(0) =
// -inf, log(-1) = NaN, pow(x, 0) = 1, ...). NaN payloads are not preserved.
//
// float64, float16 and bfloat16 calls are left alone (libm, through float32 for the half
// types), as are the intrinsics not listed above.
#pragma once

#include <string>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::ir {

Stmt lower_math_approximations(const Stmt& s);
Expr lower_math_approximations(const Expr& e);

// The intrinsics this pass rewrites (for float32 arguments).
std::vector<std::string> approximated_intrinsics();

// Expands every philox_uniform call (intrinsics.h) into integer IR (lower_philox.cc). Not
// optional: backends do not know philox_uniform. Every loop pipeline runs it.
Stmt lower_philox(const Stmt& s);
Expr lower_philox(const Expr& e);

}  // namespace cinn::ir
