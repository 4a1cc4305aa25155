// A tuning task: one fused kernel of a program, lowered and not yet scheduled, and the key
// under which the tuning database keeps its schedules.
//
// Kernels of one structure share a task wherever they occur (the repeated blocks of a
// ResNet, the same layer in another program): the key hashes the function's printed form
// with its block and buffer names replaced by their order of first appearance, together
// with the kernel kind and the target. Schedules are stored as traces in that canonical
// naming ("$0", "$1", ...; a name a schedule step derived from one, such as cache_read's
// "w_global", as "$3_global") and instantiated with a kernel's own names before replay.
#pragma once

#include <string>
#include <vector>

#include "cinn/backends/backend.h"
#include "cinn/common/target.h"
#include "cinn/ir/lowered_func.h"
#include "cinn/ir/schedule.h"

namespace cinn::auto_schedule {

struct Task {
  std::string name;  // the first kernel of the program that is this task
  backends::KernelKind kind = backends::KernelKind::kElementWise;
  ir::LoweredFunc func;  // lowered, unscheduled
  common::Target target;
  std::string key;                 // 16 hex digits
  std::vector<std::string> names;  // block and buffer names, canonical order
  int weight = 1;                  // how many kernels of the program are this task
};

Task make_task(const std::string& name, backends::KernelKind kind, const ir::LoweredFunc& func,
               const common::Target& target);

// What make_task digests of `func`, whole: two functions of equal forms are the same
// kernel up to the names of its blocks, buffers and variables (arguments in the same
// order, of the same types and shapes).
std::string canonical_form(const ir::LoweredFunc& func);

// The trace with the task's names replaced by "$<index>" (what the database stores)...
ir::Trace canonical_trace(const ir::Trace& trace, const Task& task);
// ...and back, with the names of `task` (a kernel of the same key). ScheduleError for a
// placeholder the task has no name for.
ir::Trace instantiate_trace(const ir::Trace& trace, const Task& task);

// The schedule of a record (its canonical trace as JSON) replayed on `task`'s function.
// ScheduleError when it does not replay there.
ir::IRSchedule replay_record(const Task& task, const std::string& trace_json);

// A stable 64-bit FNV-1a hash as 16 hex digits (the same in every process and build).
std::string stable_hash(const std::string& text);

}  // namespace cinn::auto_schedule
