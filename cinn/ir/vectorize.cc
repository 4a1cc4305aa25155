#include <map>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

struct CannotVectorize {
  std::string why;
};

Expr widen_to(const Expr& e, int lanes) {
  if (e.type().lanes() == lanes) return e;
  CINN_CHECK(e.type().is_scalar()) << "cannot widen " << e.type() << " to " << lanes;
  return Broadcast::make(e, lanes);
}

// Widens the body of one vectorized loop: the loop variable becomes ramp(min, 1, lanes).
class Widener : public IRMutator {
 public:
  Widener(const Var* var, Expr ramp) { vmap_[var] = ramp; }

 protected:
  Expr mutate_Var(const Var* op) override {
    auto it = vmap_.find(op);
    return it == vmap_.end() ? Expr(op) : it->second;
  }
  template <typename T>
  Expr binary(const T* op) {
    Expr a = mutate(op->a), b = mutate(op->b);
    if (a.same_as(op->a) && b.same_as(op->b)) return op;
    int l = std::max(a.type().lanes(), b.type().lanes());
    return T::make(widen_to(a, l), widen_to(b, l));
  }
  // Index arithmetic is widened naively (ramp(b, 1) + broadcast(x)); the simplifier,
  // which runs right after this pass, folds it back into ramp(b + x, 1) so contiguous
  // accesses stay recognizable.
  Expr mutate_Add(const Add* op) override { return binary(op); }
  Expr mutate_Sub(const Sub* op) override { return binary(op); }
  Expr mutate_Mul(const Mul* op) override { return binary(op); }
  Expr mutate_Div(const Div* op) override { return binary(op); }
  Expr mutate_Mod(const Mod* op) override { return binary(op); }
  Expr mutate_Min(const Min* op) override { return binary(op); }
  Expr mutate_Max(const Max* op) override { return binary(op); }
  Expr mutate_EQ(const EQ* op) override { return binary(op); }
  Expr mutate_NE(const NE* op) override { return binary(op); }
  Expr mutate_LT(const LT* op) override { return binary(op); }
  Expr mutate_LE(const LE* op) override { return binary(op); }
  Expr mutate_GT(const GT* op) override { return binary(op); }
  Expr mutate_GE(const GE* op) override { return binary(op); }
  Expr mutate_And(const And* op) override { return binary(op); }
  Expr mutate_Or(const Or* op) override { return binary(op); }
  Expr mutate_Select(const Select* op) override {
    Expr c = mutate(op->condition), t = mutate(op->true_value), f = mutate(op->false_value);
    if (c.same_as(op->condition) && t.same_as(op->true_value) && f.same_as(op->false_value)) {
      return op;
    }
    int l = std::max({c.type().lanes(), t.type().lanes(), f.type().lanes()});
    return Select::make(widen_to(c, l), widen_to(t, l), widen_to(f, l));
  }
  Expr mutate_Cast(const Cast* op) override {
    Expr v = mutate(op->value);
    if (v.same_as(op->value)) return op;
    return Cast::make(op->type.with_lanes(v.type().lanes()), v);
  }
  Expr mutate_Call(const Call* op) override {
    bool changed = false;
    auto args = mutate_exprs(op->args, &changed);
    if (!changed) return op;
    if (op->call_kind == Call::Kind::kExtern) throw CannotVectorize{"extern call " + op->name};
    int l = 1;
    for (const Expr& a : args) l = std::max(l, a.type().lanes());
    for (Expr& a : args) a = widen_to(a, l);
    return Call::make(op->type.with_lanes(l), op->name, std::move(args), op->call_kind);
  }
  Expr mutate_Load(const Load* op) override {
    bool changed = false;
    auto idx = mutate_exprs(op->indices, &changed);
    if (!changed) return op;
    int l = 1;
    for (const Expr& i : idx) l = std::max(l, i.type().lanes());
    for (Expr& i : idx) i = widen_to(i, l);
    return Load::make(op->buffer, std::move(idx));
  }
  Expr mutate_Let(const Let* op) override {
    Expr v = mutate(op->value);
    if (v.same_as(op->value)) return IRMutator::mutate_Let(op);
    Expr nv = Var::make(op->var.var_name(), v.type());
    vmap_[op->var.as<Var>()] = nv;
    return Let::make(nv, v, mutate(op->body));
  }
  Expr mutate_Ramp(const Ramp*) override { throw CannotVectorize{"nested vector"}; }
  Expr mutate_Broadcast(const Broadcast*) override { throw CannotVectorize{"nested vector"}; }

  Stmt mutate_Store(const Store* op) override {
    bool changed = false;
    Expr v = mutate(op->value);
    auto idx = mutate_exprs(op->indices, &changed);
    if (!changed && v.same_as(op->value)) return op;
    int l = 1;
    for (const Expr& i : idx) l = std::max(l, i.type().lanes());
    if (l == 1) {
      throw CannotVectorize{"store to " + op->buffer.name() +
                            " at an index that does not depend on the vectorized loop"};
    }
    for (Expr& i : idx) i = widen_to(i, l);
    return Store::make(op->buffer, widen_to(v, l), std::move(idx));
  }
  Stmt mutate_IfThenElse(const IfThenElse* op) override {
    Expr c = mutate(op->condition);
    if (c.type().is_vector()) throw CannotVectorize{"condition varies across lanes"};
    return IRMutator::mutate_IfThenElse(op);
  }
  Stmt mutate_For(const For* op) override {
    Expr mn = mutate(op->min), ext = mutate(op->extent);
    if (mn.type().is_vector() || ext.type().is_vector()) {
      throw CannotVectorize{"inner loop bounds depend on the vectorized loop"};
    }
    return IRMutator::mutate_For(op);
  }
  Stmt mutate_LetStmt(const LetStmt* op) override {
    Expr v = mutate(op->value);
    if (v.same_as(op->value)) return IRMutator::mutate_LetStmt(op);
    Expr nv = Var::make(op->var.var_name(), v.type());
    vmap_[op->var.as<Var>()] = nv;
    return LetStmt::make(nv, v, mutate(op->body));
  }
  Stmt mutate_Allocate(const Allocate*) override { throw CannotVectorize{"allocation"}; }

 private:
  std::map<const Var*, Expr> vmap_;
};

class LoopVectorizer : public IRMutator {
 public:
  int failed = 0;

 protected:
  Stmt mutate_For(const For* op) override {
    Stmt body = mutate(op->body);
    if (op->for_kind != ForKind::kVectorized) {
      return body.same_as(op->body)
                 ? Stmt(op)
                 : For::make(op->loop_var, op->min, op->extent, op->for_kind, body);
    }
    const int64_t* ext = as_const_int(op->extent);
    if (ext && *ext == 1) {
      return substitute(body, {{op->loop_var.as<Var>(), op->min}});
    }
    if (ext && *ext > 1 && *ext <= 64) {
      try {
        // Widths above 16 that are not powers of two (a loop partition's tail of 17
        // columns) are emitted as power-of-two vectors and what remains (16 + 1): LLVM
        // legalizes an odd <17 x float> element by element (a matmul with 49 columns ran
        // 7x slower than with 48). Up to 16 lanes (a 7- or 14-wide row) one vector stays,
        // which LLVM widens to the next register width.
        std::vector<Stmt> pieces;
        for (int64_t done = 0; done < *ext;) {
          int64_t left = *ext - done, width = left;
          if (left > 16 && (left & (left - 1)) != 0) {
            width = 1;
            while (width * 2 <= left) width *= 2;
          }
          Expr first = simplify(op->min + Expr(done));
          if (width == 1) {
            pieces.push_back(substitute(body, {{op->loop_var.as<Var>(), first}}));
          } else {
            Widener w(op->loop_var.as<Var>(), Ramp::make(first, Expr(1), static_cast<int>(width)));
            pieces.push_back(w.mutate(body));
          }
          done += width;
        }
        return pieces.size() == 1 ? pieces[0] : Block::make(std::move(pieces));
      } catch (const CannotVectorize&) {
      }
    }
    ++failed;
    return For::make(op->loop_var, op->min, op->extent, ForKind::kSerial, body);
  }
};

}  // namespace

Stmt vectorize_loops(const Stmt& s, int* failed) {
  LoopVectorizer v;
  Stmt r = v.mutate(s);
  if (failed) *failed = v.failed;
  return r;
}

}  // namespace cinn::ir
