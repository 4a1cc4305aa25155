// Tuning a program's kernels (DESIGN.md section 4, cinn.tune): the kernels compile() would
// build become tuning tasks, and the auto-scheduler (auto_schedule/search.h) measures
// schedules for them into a database that compile() then reads (CompileOptions::database).
#pragma once

#include <string>
#include <vector>

#include "cinn/auto_schedule/search.h"
#include "cinn/auto_schedule/task.h"
#include "cinn/frontend/compile.h"

namespace cinn::frontend {

// The kernels of `program` as compile() lowers them (same graph passes and fusion under
// `options`), one task per distinct key, its weight the number of kernels sharing it.
std::vector<auto_schedule::Task> extract_tasks(const Program& program, const common::Target& target,
                                               const CompileOptions& options = {});

// Tunes the tasks of `program` into the database at `database` (created when missing).
auto_schedule::TuneReport tune(const Program& program, const common::Target& target,
                               const std::string& database,
                               const auto_schedule::TuneOptions& tune_options = {},
                               const CompileOptions& options = {});

}  // namespace cinn::frontend
