// The IR simplifier.
//
// Rewrites expressions and statements into simpler, equivalent ones under the semantics of
// ir.h: integers wrap modulo 2^bits, Div/Mod are floor division, floats are IEEE-754, extern
// calls are never dropped or duplicated. What it does, by concern (one file each):
//
//   simplify_rewrite.cc     the rewrite-rule engine: rules are data (simplify_rewrite.h)
//   simplify_fold.cc        constant folding of immediates
//   simplify_linear.cc      integer linear forms sum(c_i * x_i) + c
//   simplify_arith.cc       Add/Sub/Mul: integer linear forms (`x + 1 + x - 1` -> `x * 2`),
//                           float identities that hold for -0.0 and NaN, vector Ramp/Broadcast
//   simplify_divmod.cc      floor Div/Mod, with splitting of linear numerators by bounds
//   simplify_minmax.cc      Min/Max, decided by bounds where possible
//   simplify_cmp_select.cc  comparisons (decided by bounds), And/Or/Not, Select
//   simplify.cc             the driver: loop and block ranges, For, IfThenElse, Let
//
// Rewrites that rely on the absence of overflow (`(x*8 + y) / 8` -> `x + y / 8`,
// `x < x + 1` -> true) fire only when the bounds analysis (interval.h) proves that no
// operation involved can wrap, e.g. because x is a loop variable with a known extent.
//
// Loops are kept, even unit loops; only loops that never run (constant extent <= 0) or have
// nothing left in their body, and branches with a constant condition, disappear. Loop
// variables and block iter_vars with constant (or partly constant) ranges are known in their
// bodies.
#pragma once

#include "cinn/ir/interval.h"
#include "cinn/ir/ir.h"

namespace cinn::ir {

Expr simplify(const Expr& e);
Stmt simplify(const Stmt& s);
// With known ranges of free variables.
Expr simplify(const Expr& e, const VarRanges& ranges);
Stmt simplify(const Stmt& s, const VarRanges& ranges);

// Whether the boolean `cond` simplifies to true given the ranges.
bool can_prove(const Expr& cond, const VarRanges& ranges = {});

}  // namespace cinn::ir
