// Lowering of intrinsic calls (Call nodes of kind kIntrinsic) to C99 and libm.
//
// The table in c_intrinsics.cc is the whole mapping: float32 uses libm's f-suffixed functions
// (expf), float64 the plain ones (exp). Math functions on integers are rejected, except the
// ones that are exact on them (abs, floor, ceil, trunc, round, isnan/isinf/isfinite).
// `round` rounds half to even like numpy, which is C's rint in the default rounding mode.
// `reinterpret` (ir::make_reinterpret) reads the bits through a union compound literal.
// The bitwise intrinsics print as C operators on integers.
#pragma once

#include <string>
#include <vector>

#include "cinn/backends/c/c_helpers.h"
#include "cinn/backends/c/c_syntax.h"
#include "cinn/ir/ir.h"

namespace cinn::backends::c {

// `call` applied to its printed arguments `args`. Throws UnsupportedOpError naming the
// intrinsic when it is unknown or has no C form for its types.
CExpr lower_intrinsic(const ir::Call& call, const std::vector<CExpr>& args, Helpers* helpers);

// The intrinsics the C backend knows, sorted.
std::vector<std::string> known_intrinsics();

// The C99 math functions the printer may call on floats: float64 names (float32 appends
// 'f'), with their arity. `predicate` ones (isnan, isinf, isfinite) are macros of <math.h>
// taking either type and returning a truth value.
struct CMathFunction {
  std::string name;
  int arity = 1;
  bool predicate = false;
};
std::vector<CMathFunction> c_math_functions();

}  // namespace cinn::backends::c
