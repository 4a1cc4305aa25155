// The math intrinsics the compiler knows (Call nodes of kind kIntrinsic).
//
// Every backend maps each of these names; an unknown name is an UnsupportedOpError raised
// where the call is built, so no backend ever sees one.
#pragma once

#include <string>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::ir {

struct IntrinsicInfo {
  const char* name;
  int arity;
  // Only floating-point arguments (exp, tanh, ...); otherwise integers are accepted too.
  bool float_only;
  // The result is bool (isnan, isinf, isfinite) instead of the argument type.
  bool returns_bool;
};

// nullptr if `name` is not an intrinsic.
const IntrinsicInfo* find_intrinsic(const std::string& name);
// The math intrinsics a program may call by name (every intrinsic but kReinterpret).
std::vector<std::string> intrinsic_names();

// Builds Call(name, args) after checking arity and argument types; throws
// UnsupportedOpError for unknown names and DTypeError for bad argument types.
Expr make_intrinsic(const std::string& name, std::vector<Expr> args);

// reinterpret<t>(x): the bits of x read as type t, which must have x's lanes and element
// width (C++20's std::bit_cast, per lane). Not a math function: compiler passes use it to
// take floats apart (lower_math.h), so it is not in intrinsic_names() and make_intrinsic
// rejects it; build it with make_reinterpret.
inline constexpr const char* kReinterpret = "reinterpret";
Expr make_reinterpret(Type t, Expr x);

}  // namespace cinn::ir
