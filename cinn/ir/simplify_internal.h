// Internals shared by the simplifier's files (see simplify.h for the map). Not a public API.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "cinn/ir/interval.h"
#include "cinn/ir/interval_math.h"
#include "cinn/ir/ir.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir::simplify_detail {

using intmath::i128;

// ---------------------------------------------------------------------------------------
// Node helpers (simplify_rewrite.cc)

// The operands of a binary node (arithmetic, Min/Max, comparison, And/Or); false otherwise.
bool binary_operands(const Expr& e, Expr* a, Expr* b);
// Builds the binary node of kind k.
Expr make_binary(NodeKind k, Expr a, Expr b);
// The same node with new operands, or `e` itself when they are the very same.
Expr rebuild_binary(const Expr& e, const Expr& a, const Expr& b);

bool is_comparison(NodeKind k);
// Scalar signed integers: the types with linear forms, bounds and overflow reasoning.
inline bool is_scalar_int(Type t) { return t.is_int() && t.is_scalar(); }
// An immediate of integer type t holding v (wrapped into t).
Expr make_int(Type t, i128 v);
// The constant true/false, or nullopt.
std::optional<bool> as_const_bool(const Expr& e);

// Whether e contains an extern call, which the simplifier must neither drop nor duplicate.
bool has_side_effects(const Expr& e);

// ---------------------------------------------------------------------------------------
// Constant folding (simplify_fold.cc)

// `a op b` for immediates a and b of the same type, with the IR's semantics; an undefined
// Expr when it does not fold (division by zero, float Mod, 16-bit floats, ...).
Expr fold_binary(NodeKind op, const Expr& a, const Expr& b);
// Cast of an immediate, or undefined.
Expr fold_cast(Type t, const Expr& value);

// ---------------------------------------------------------------------------------------
// Linear forms (simplify_linear.cc)

// sum(coeff_i * atom_i) + constant over a scalar signed integer type. Atoms are the maximal
// subexpressions that are not Add, Sub, or Mul by an immediate; equal atoms are merged, and
// keep the order of their first appearance. Coefficients wrap like the type, so the form
// always equals its expression modulo 2^bits; `overflowed` records whether any coefficient
// differs from its exact integer value, in which case the form is not an identity over the
// integers.
struct LinearForm {
  Type type;
  std::vector<std::pair<Expr, int64_t>> terms;
  int64_t constant = 0;
  bool overflowed = false;

  void add_term(const Expr& atom, i128 coeff);
  void add_constant(i128 c);
  // this += scale * e's form.
  void add_expr(const Expr& e, i128 scale);
  void add_form(const LinearForm& o, i128 scale);
  // Drops zero coefficients.
  void normalize();
  bool is_constant() const { return terms.empty(); }

 private:
  int64_t wrap(i128 v);
};

LinearForm linear_form(const Expr& e);
// The canonical expression of a form: positive terms first, then subtracted negative ones,
// then the constant (`x * 4 + y - z * 2 + 8`); with no positive term, the constant leads
// (`8 - x`).
Expr linear_expr(const LinearForm& f);
// Exact integer bounds of a form whose atoms have the given bounds (nullopt: unbounded).
struct LinearBounds {
  std::optional<i128> lo, hi;
};
LinearBounds linear_bounds(const LinearForm& f, const VarRanges& ranges);

// ---------------------------------------------------------------------------------------
// The mutator. Each mutate_X lives in the file of its concern.

class Simplifier : public IRMutator {
 public:
  explicit Simplifier(VarRanges ranges) : ranges_(std::move(ranges)) {}
  using IRMutator::mutate;

  const VarRanges& ranges() const { return ranges_; }
  BoundsInfo bounds(const Expr& e) const { return analyze_bounds(e, ranges_); }
  // Decides `a op b` (op a comparison kind) for scalar signed integers, or nullopt.
  std::optional<bool> decide(NodeKind op, const Expr& a, const Expr& b) const;
  // Whether mutate(cond) is the constant true.
  bool prove(const Expr& cond);

  // Binds a variable's range for the lifetime of the scope.
  class ScopedRange {
   public:
    ScopedRange(Simplifier* s, const Expr& var, const Interval& iv);
    ScopedRange(const ScopedRange&) = delete;
    ScopedRange& operator=(const ScopedRange&) = delete;
    ~ScopedRange();

   private:
    Simplifier* s_;
    const Var* var_;
    std::optional<Interval> saved_;
  };

 protected:
  Expr mutate_Cast(const Cast* op) override;
  Expr mutate_Ramp(const Ramp* op) override;
  Expr mutate_Let(const Let* op) override;
  Stmt mutate_LetStmt(const LetStmt* op) override;
  // Let and LetStmt: inline trivial values, know the value's range in the body, drop unused.
  template <typename Node, typename Body>
  Body mutate_let(const Node* op);
  Stmt mutate_For(const For* op) override;
  Stmt mutate_IfThenElse(const IfThenElse* op) override;
  Stmt mutate_Block(const Block* op) override;
  Stmt mutate_ScheduleBlock(const ScheduleBlock* op) override;

  Expr mutate_Add(const Add* op) override;
  Expr mutate_Sub(const Sub* op) override;
  Expr mutate_Mul(const Mul* op) override;

  Expr mutate_Div(const Div* op) override;
  Expr mutate_Mod(const Mod* op) override;

  Expr mutate_Min(const Min* op) override;
  Expr mutate_Max(const Max* op) override;

  Expr mutate_EQ(const EQ* op) override;
  Expr mutate_NE(const NE* op) override;
  Expr mutate_LT(const LT* op) override;
  Expr mutate_LE(const LE* op) override;
  Expr mutate_GT(const GT* op) override;
  Expr mutate_GE(const GE* op) override;
  Expr mutate_And(const And* op) override;
  Expr mutate_Or(const Or* op) override;
  Expr mutate_Not(const Not* op) override;
  Expr mutate_Select(const Select* op) override;

 private:
  // Constant folding, the side-effect guard, the vector rules and the float identities that
  // every binary node shares; nullopt when the node's own rules should run.
  std::optional<Expr> fold_or_vector(const Expr& e);
  // Each takes the node with its operands already simplified.
  Expr simplify_add_sub_mul(const Expr& e);
  Expr simplify_divmod(const Expr& e);
  Expr simplify_minmax(const Expr& e);
  Expr simplify_cmp(const Expr& e);
  Expr simplify_logical(const Expr& e);
  // The interval of a variable of type t bound to [min, min + extent).
  Interval loop_range(const Expr& min, const Expr& extent, Type t) const;

  VarRanges ranges_;
};

}  // namespace cinn::ir::simplify_detail
