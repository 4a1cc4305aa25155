// lower(name, tensors): one LoweredFunc computing the given tensors.
#pragma once

#include <string>
#include <vector>

#include "cinn/ir/lowered_func.h"
#include "cinn/lang/tensor.h"

namespace cinn::lang {

// `args` lists the function's buffer arguments in calling order: placeholders are inputs,
// computes are outputs. Computes reachable from the outputs but not listed become
// temporaries. Each compute becomes one ScheduleBlock; isl generates the initial loop nest
// (one nest per stage, in dependence order). Symbolic sizes in the arguments' shapes become
// the function's size_vars. Throws ShapeError for accesses that leave a tensor's bounds and
// cinn::Error for ill-formed programs (an input missing from args, unbound variables).
ir::LoweredFunc lower(const std::string& name, const std::vector<Tensor>& args);

}  // namespace cinn::lang
