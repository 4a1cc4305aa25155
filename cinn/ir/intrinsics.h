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
std::vector<std::string> intrinsic_names();

// Builds Call(name, args) after checking arity and argument types; throws
// UnsupportedOpError for unknown names and DTypeError for bad argument types.
Expr make_intrinsic(const std::string& name, std::vector<Expr> args);

}  // namespace cinn::ir
