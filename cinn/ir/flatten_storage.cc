#include "cinn/ir/ir_operators.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

// index = ((i0 * s1 + i1) * s2 + i2) ...  (row-major)
Expr flat_index(const Buffer& b, const std::vector<Expr>& idx) {
  if (idx.empty()) return Expr(0);
  if (idx.size() == 1) return idx[0];
  Expr e = idx[0];
  for (size_t d = 1; d < idx.size(); ++d) e = e * b.shape()[d] + idx[d];
  return e;
}

class Flattener : public IRMutator {
 protected:
  Expr mutate_Load(const Load* op) override {
    if (op->indices.size() == 1 && op->buffer.ndim() == 1) return IRMutator::mutate_Load(op);
    bool changed = false;
    auto idx = mutate_exprs(op->indices, &changed);
    return Load::make(op->buffer, {flat_index(op->buffer, idx)});
  }
  Stmt mutate_Store(const Store* op) override {
    if (op->indices.size() == 1 && op->buffer.ndim() == 1) return IRMutator::mutate_Store(op);
    bool changed = false;
    auto idx = mutate_exprs(op->indices, &changed);
    return Store::make(op->buffer, mutate(op->value), {flat_index(op->buffer, idx)});
  }
};

}  // namespace

Stmt flatten_storage(const Stmt& s) { return Flattener().mutate(s); }

}  // namespace cinn::ir
