#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/simplify_internal.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

bool allocates(const Stmt& s) {
  bool found = false;
  post_order_visit(s, [&](const IRNode* n) { found = found || n->kind() == NodeKind::kAllocate; });
  return found;
}

class Unroller : public IRMutator {
 public:
  explicit Unroller(int64_t max_extent) : max_extent_(max_extent) {}

 protected:
  Stmt mutate_For(const For* op) override {
    Stmt body = mutate(op->body);  // inner loops first
    const int64_t* ext = as_const_int(op->extent);
    // A min with side effects would run once per copy instead of once; an allocation in
    // the body would take stack (codegen_llvm puts small local buffers there) per copy.
    if (op->for_kind != ForKind::kUnrolled || !ext || *ext < 1 || *ext > max_extent_ ||
        simplify_detail::has_side_effects(op->min) || allocates(body)) {
      if (body.same_as(op->body)) return op;
      return For::make(op->loop_var, op->min, op->extent, op->for_kind, body);
    }
    std::vector<Stmt> copies;
    for (int64_t k = 0; k < *ext; ++k) {
      Expr value = simplify(op->min + Expr(k));
      copies.push_back(substitute(body, {{op->loop_var.as<Var>(), value}}));
    }
    return copies.size() == 1 ? copies[0] : Block::make(std::move(copies));
  }

 private:
  int64_t max_extent_;
};

}  // namespace

Stmt unroll_loops(const Stmt& s, int64_t max_extent) { return Unroller(max_extent).mutate(s); }

}  // namespace cinn::ir
