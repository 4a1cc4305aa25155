// Loop-level passes run after scheduling, before code generation.
#pragma once

#include "cinn/ir/lowered_func.h"

namespace cinn::ir {

// Replaces every ScheduleBlockRealize by its block's body with the iter_vars substituted by
// their values. A block's `init` is hoisted in front of the outermost loop that only feeds
// the block's reduce iter_vars (so `C = 0` runs once before the k loop), or, when loops are
// interleaved so that no such loop exists, guarded by "every reduce iter_var at its min".
Stmt lower_schedule_blocks(const Stmt& s);

// Rewrites n-dimensional Loads/Stores into one row-major index per access.
Stmt flatten_storage(const Stmt& s);

// Turns For loops of kind kVectorized with a constant extent into vector code (Ramp,
// Broadcast, vector Loads/Stores). Run `simplify` afterwards: it folds the widened index
// arithmetic back into Ramps. A loop whose body cannot be widened (a store whose index
// does not depend on the loop variable, a condition that varies across lanes, a nested loop
// whose bounds depend on it) stays a serial loop; `*failed` (if given) reports it.
Stmt vectorize_loops(const Stmt& s, int* failed = nullptr);

}  // namespace cinn::ir
