// The launch shape of a function whose loops are bound to GPU blocks and threads.
#pragma once

#include <array>
#include <cstdint>

#include "cinn/common/target.h"
#include "cinn/ir/lowered_func.h"

namespace cinn::ir {

// Grid and block dimensions (x, y, z). Each dimension is the largest extent among the loops
// bound to it (a loop shorter than its dimension is guarded); unbound dimensions are 1.
struct LaunchDims {
  std::array<int64_t, 3> grid{1, 1, 1};
  std::array<int64_t, 3> block{1, 1, 1};
  int64_t threads_per_block() const { return block[0] * block[1] * block[2]; }
};

// Throws ScheduleError when a bound loop's extent is not a constant, when a loop bound to an
// axis is nested in another loop bound to the same axis (except a cooperative thread loop,
// IRSchedule::bind), or when the block exceeds the target's max_threads_per_block (if the
// target states it).
LaunchDims gpu_launch_dims(const LoweredFunc& f, const common::Target& target);

// Whether loop kind `k` is bound to a block (grid) axis or a thread axis, and which one
// (0 = x, 1 = y, 2 = z).
bool is_block_kind(ForKind k);
int gpu_axis(ForKind k);

}  // namespace cinn::ir
