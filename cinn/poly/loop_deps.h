// Data dependences of a scheduled function, for the schedule primitives' legality checks.
//
// The model is built from the *current* loop IR (any nesting of For, IfThenElse, sequences
// and ScheduleBlockRealize), not from the stages of lang:
//   * one statement per ScheduleBlockRealize; an instance is a point
//     S[l_0 .. l_{n-1}, v_0 .. v_{m-1}] of the enclosing loop variables l and the block's
//     iter_vars v, constrained by the loop bounds, the guards of enclosing IfThenElse (the
//     else branch by the negated condition), the bindings v = iter_values(l) and the
//     iter_vars' ranges;
//   * accesses: every Load and Store of the block's init and body, indices in terms of v
//     (an init access happens only where every reduce iter_var is at its minimum);
//   * the sequential order: the "2d+1" schedule, loop variables interleaved with the
//     position of each statement in its sequence (and 0/1 for the then/else branch).
// A dependence is any pair of instances touching the same element, at least one writing,
// the source running first (read-after-write, write-after-read, write-after-write; no
// array expansion: this is what reordering or running iterations concurrently must keep).
// Pairs of instances of one reduction block with equal spatial iter_vars are not
// dependences here: that is the reduction's own accumulation, which the schedule handles
// separately (rfactor; parallel/vectorize refuse loops feeding reduce iter_vars).
//
// Exact for affine (quasi-affine: floor division and modulo by constants) bounds, guards,
// bindings and indices in loop variables and the function's size_vars. Anything else is
// over-approximated: a non-affine bound or guard is dropped, a non-affine binding leaves
// the iter_var free, a non-affine index (or a vector index) may touch any element of its
// dimension. So the answers may report a dependence that does not exist, never miss one.
// Statements outside any ScheduleBlock are ignored (after lowering every computation sits
// in a block), and so are memory effects of extern calls.
//
// Cost: isl is asked only about pairs of accesses to one buffer, at least one a write, first
// over the iter_vars alone and only then over the loops; a reduction's accumulator against
// itself is settled without isl when its indices give back every spatial iter_var. On the
// kernels of the demo and the hand schedules (matmul, softmax, layer_norm, conv2d) a check
// takes at most a few milliseconds.
#pragma once

#include <string>

#include "cinn/ir/lowered_func.h"

namespace cinn::poly {

// Empty if the iterations of the loop over `loop_var` are independent: no dependence links
// two instances under that loop with equal iterations of the loops around it and different
// iterations of this one. Otherwise a description naming the buffer, the two blocks, the
// two accesses and an example pair of iterations, e.g.
//   "block 'X' writes X[i, j] and block 'X' reads it as X[i - 1, j + 1] at a later
//    iteration of loop 'i' (read after write; e.g. i=1, j=1 then i=2, j=0)".
// Throws InternalError if no loop has that variable.
std::string loop_carried_dependence(const ir::LoweredFunc& f, const ir::Expr& loop_var);

// Empty if `after` runs, for every dependence of `before`, its source instance before its
// sink instance. Instances of a block are matched across the two versions by the block's
// name, its iter_var values and the loop variables enclosing it in both (which makes the
// match exact for primitives that only restructure loops: reorder keeps every loop
// variable, fuse replaces some by expressions of the fused one). Otherwise a description
// of one dependence the new order reverses, with an example pair of instances.
// If `scope` (a loop variable of `before`) is given, only dependences between blocks under
// that loop are checked: a primitive that rewrites just that loop nest cannot change the
// order of any other pair (they part outside the nest, at a sequence position).
std::string check_dependences_preserved(const ir::LoweredFunc& before, const ir::LoweredFunc& after,
                                        const ir::Expr& scope = ir::Expr());

}  // namespace cinn::poly
