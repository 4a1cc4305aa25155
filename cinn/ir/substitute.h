// Replaces variables by expressions.
#pragma once

#include <map>

#include "cinn/ir/ir.h"

namespace cinn::ir {

using VarMap = std::map<const Var*, Expr>;

Expr substitute(const Expr& e, const VarMap& vmap);
Stmt substitute(const Stmt& s, const VarMap& vmap);

// True if `e` mentions any of the variables in `vars`.
bool uses_any_var(const Expr& e, const std::vector<Expr>& vars);

}  // namespace cinn::ir
