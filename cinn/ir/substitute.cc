#include "cinn/ir/substitute.h"

#include <algorithm>

#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

class Substituter : public IRMutator {
 public:
  explicit Substituter(const VarMap& vmap) : vmap_(vmap) {}

 protected:
  Expr mutate_Var(const Var* op) override {
    auto it = vmap_.find(op);
    return it == vmap_.end() ? Expr(op) : it->second;
  }

 private:
  const VarMap& vmap_;
};

}  // namespace

Expr substitute(const Expr& e, const VarMap& vmap) {
  if (vmap.empty()) return e;
  return Substituter(vmap).mutate(e);
}
Stmt substitute(const Stmt& s, const VarMap& vmap) {
  if (vmap.empty()) return s;
  return Substituter(vmap).mutate(s);
}

bool uses_any_var(const Expr& e, const std::vector<Expr>& vars) {
  bool found = false;
  post_order_visit(e, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kVar &&
        std::any_of(vars.begin(), vars.end(), [&](const Expr& v) { return v.get() == n; })) {
      found = true;
    }
  });
  return found;
}

void collect_vars(const Expr& e, std::set<const Var*>* out) {
  post_order_visit(e, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kVar) out->insert(static_cast<const Var*>(n));
  });
}

bool loads_memory(const Expr& e) {
  bool found = false;
  post_order_visit(e, [&](const IRNode* n) { found = found || n->kind() == NodeKind::kLoad; });
  return found;
}

}  // namespace cinn::ir
