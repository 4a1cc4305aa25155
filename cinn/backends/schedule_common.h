// Helpers shared by the backends' default schedules (schedule_x86, cuda/schedule_cuda).
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "cinn/common/error.h"
#include "cinn/ir/schedule.h"

namespace cinn::backends {

// Runs a schedule step; a step that does not apply (ScheduleError) is skipped.
template <typename F>
bool attempt(F&& f) {
  try {
    f();
    return true;
  } catch (const ScheduleError&) {
    return false;
  }
}

// The constant extent of a loop, or -1.
int64_t extent_of(ir::IRSchedule& sch, ir::LoopRV l);
bool is_reduction(const ir::ScheduleBlock* b);
int num_spatial(const ir::ScheduleBlock* b);
std::set<std::string> arg_buffers(const ir::LoweredFunc& f);
// Whether `loop`'s variable feeds one of `b`'s reduce iter_values.
bool feeds_reduce(ir::IRSchedule& sch, ir::BlockRV b, ir::LoopRV loop);
// Whether reduction block `b` reads along rows: every load that varies with the reduce
// iter_vars has the innermost one in its last index (a row sum, both operands of x @ W^T;
// not a sum over a leading axis, nor W of x @ W).
bool reduces_rows(const ir::ScheduleBlock* b);

// Runs a sequence of schedule steps on a copy of `sch` and keeps the result only when every
// step applies (no ScheduleError), so a template either applies whole or not at all.
template <typename F>
bool attempt_all(ir::IRSchedule& sch, F&& f) {
  ir::IRSchedule trial = sch;
  try {
    f(trial);
  } catch (const ScheduleError&) {
    return false;
  }
  sch = std::move(trial);
  return true;
}

// Inlines the spatial blocks that write a temporary buffer into their consumers, except
// the blocks `keep` selects and those too costly to recompute.
//
// Saving versus recomputing: inlining evaluates a block's expression once per load of its
// buffer. A block read once is always inlined; one read k > 1 times only while
// (expression nodes) x k stays within kRecomputeBudget. Cheap producers (a broadcast load,
// an add, the forward values a backward kernel rereads) are recomputed where they are used;
// costly shared ones stay as a buffer written once per kernel. Blocks are taken in order,
// producers first, so a block's cost includes what was inlined into it.
inline constexpr int64_t kRecomputeBudget = 256;
void inline_intermediates(ir::IRSchedule& sch, const std::function<bool(const ir::ScheduleBlock*)>& keep);

// For a kernel whose last block is spatial: the number of leading loops of the last block
// that the leading spatial loops of every other block match in extent, over dimensions of
// their results that no block reduces over (0 when there is one block or the last block
// reduces).
size_t common_leading_depth(ir::IRSchedule& sch);

// An update at data-dependent positions (lang::update, a scatter-add) as lowered: its write
// region spans a dimension indexed through memory. Splits its loops into those of the iter
// vars that index the store directly (`parallel`: an embedding row's columns; no two of
// their iterations touch one element) and the others (`serial`: they reach the store only
// through loaded positions, so iterations may update one element and must stay in order).
// False for any other block, or one with no loop of the first kind.
bool update_loops(ir::IRSchedule& sch, ir::BlockRV b, std::vector<ir::LoopRV>* parallel,
                  std::vector<ir::LoopRV>* serial);

// Moves every block but the last under the last block's loop depth - 1 (compute_at,
// consumers first). False, with the schedule partly changed, when one does not move.
bool compute_at_last(ir::IRSchedule& sch, size_t depth);

}  // namespace cinn::backends
