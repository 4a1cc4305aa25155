// IR verifier: structural invariants every pass must preserve.
//
// Checks that every variable is bound where it is used (function size vars, loops, lets,
// block iter_vars), loop variables have IndexType, every buffer accessed is an argument or
// allocated, loads/stores have one index per dimension (or exactly one after flattening),
// and block realizes bind each iter_var once. Violations are compiler bugs: InternalError
// with the offending node printed.
#pragma once

#include "cinn/ir/lowered_func.h"

namespace cinn::ir {

void verify(const LoweredFunc& f);

}  // namespace cinn::ir
