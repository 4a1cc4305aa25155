// Features of a candidate schedule for the cost model: what the loop nest after the loop
// passes (backends/build.h) does, weighted by trip counts, and the knob values that made
// it. Fixed length for a given knob list; counts enter as log2(1 + x).
#pragma once

#include <vector>

#include "cinn/backends/backend.h"
#include "cinn/ir/lowered_func.h"

namespace cinn::auto_schedule {

// `loops`: the scheduled function after backends::lower_to_loops.
std::vector<float> extract_features(const ir::LoweredFunc& loops,
                                    const backends::ScheduleParams& params,
                                    const std::vector<backends::TuningKnob>& knobs);

}  // namespace cinn::auto_schedule
