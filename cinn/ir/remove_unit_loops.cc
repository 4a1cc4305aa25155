#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify_internal.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

class UnitLoopRemover : public IRMutator {
 protected:
  Stmt mutate_For(const For* op) override {
    if (!is_const_int(op->extent, 1) || is_gpu_kind(op->for_kind)) {
      return IRMutator::mutate_For(op);
    }
    Stmt body = mutate(op->body);
    // The min is evaluated once; substituting it into every use would repeat a side effect.
    if (simplify_detail::has_side_effects(op->min))
      return LetStmt::make(op->loop_var, op->min, body);
    return substitute(body, {{op->loop_var.as<Var>(), op->min}});
  }
};

}  // namespace

Stmt remove_unit_loops(const Stmt& s) { return UnitLoopRemover().mutate(s); }

}  // namespace cinn::ir
