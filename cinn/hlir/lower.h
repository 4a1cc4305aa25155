// Lowering of a fusion group to one LoweredFunc.
#pragma once

#include <vector>

#include "cinn/hlir/fusion.h"
#include "cinn/ir/lowered_func.h"

namespace cinn::hlir {

struct LoweredGroup {
  ir::LoweredFunc func;
  // The graph value of each function argument, in calling order: the group's inputs, then
  // its outputs.
  std::vector<Value*> args;
};

// Each node's compute builder emits lang tensors (the group's inputs are placeholders);
// lang::lower turns them into one function whose intermediate tensors are temporaries.
// Buffer names are the values' names, made unique.
LoweredGroup lower_group(const FusionGroup& group);

}  // namespace cinn::hlir
