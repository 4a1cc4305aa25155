// Replaces variables by expressions.
#pragma once

#include <map>
#include <set>

#include "cinn/ir/ir.h"

namespace cinn::ir {

using VarMap = std::map<const Var*, Expr>;

Expr substitute(const Expr& e, const VarMap& vmap);
Stmt substitute(const Stmt& s, const VarMap& vmap);

// True if `e` mentions any of the variables in `vars`.
bool uses_any_var(const Expr& e, const std::vector<Expr>& vars);
// The variables `e` mentions, added to `out`.
void collect_vars(const Expr& e, std::set<const Var*>* out);
// True if `e` loads from a buffer (a data-dependent value).
bool loads_memory(const Expr& e);

}  // namespace cinn::ir
