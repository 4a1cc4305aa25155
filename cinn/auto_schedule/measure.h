// Measuring one schedule of a task: compile the scheduled function alone for the task's
// target, run it on random inputs in this process, and time it.
#pragma once

#include <string>

#include "cinn/backends/backend.h"
#include "cinn/ir/lowered_func.h"

namespace cinn::auto_schedule {

struct MeasureOptions {
  int repeat = 3;             // timed repetitions; the result is the fastest
  double min_seconds = 0.02;  // each repetition runs the kernel at least this long
};

struct Measurement {
  double seconds = 0;  // per run; 0 when `error` is set
  std::string error;   // why the schedule could not be compiled or run
};

// Floating-point arguments get uniform values in [-1, 1); integer and boolean arguments get
// zeros, so that an index read from memory stays in bounds. Compile and launch errors
// (CompileError, ScheduleError, ExecutionError) come back in `error`.
Measurement measure(const ir::LoweredFunc& scheduled, const common::Target& target,
                    const backends::CodegenOptions& codegen, const MeasureOptions& options = {});

}  // namespace cinn::auto_schedule
