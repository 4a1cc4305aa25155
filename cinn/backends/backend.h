// The backend interface: everything that differs between targets, registered in one place.
//
// A Backend owns, for the targets whose `Target::backend` names it:
//   * the default schedule rules of each kernel kind (schedule),
//   * the knobs of those rules that the auto-scheduler samples (tuning_knobs),
//   * the loop-pass options its code generator expects (loop_options),
//   * code generation from a lowered ir::Module to loaded kernels (compile): a
//     runtime::KernelModule that launches them and serializes itself (runtime/module.h).
// The graph compiler (frontend/compile.cc) and cinn.build only call this interface; op
// definitions and hlir never look at the target. docs/adding_a_backend.md walks through
// adding one.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cinn/common/target.h"
#include "cinn/ir/lowered_func.h"
#include "cinn/ir/schedule.h"
#include "cinn/runtime/module.h"

namespace cinn::backends {

// What the graph compiler knows about a kernel's dominant op.
enum class KernelKind { kElementWise, kReduction, kOutFusible, kOpaque };
const char* kernel_kind_name(KernelKind k);

// One integer parameter of a backend's schedule templates and the values worth sampling.
// A schedule reads it from ScheduleParams; an absent name means "the template's default".
struct TuningKnob {
  std::string name;
  std::vector<int64_t> candidates;
  std::string doc;
};
using ScheduleParams = std::map<std::string, int64_t>;
// The value set for `name`, or 0 ("the template's default") when absent.
inline int64_t schedule_param(const ScheduleParams& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? int64_t{0} : it->second;
}

// Options of the loop passes between scheduling and code generation (build.h).
struct LoopOptions {
  // Replace float32 math by vectorizable approximations (ir/lower_math.h).
  bool lower_math = true;
  // Turn kVectorized loops into Ramp/Broadcast (off for backends that print scalar code).
  bool vectorize = true;
  // GPU kernels: compact local/shared buffers and place barriers (ir/transforms.h).
  bool gpu = false;
  // Where to dump the IR after every loop pass; overrides $CINN_DUMP_DIR ("" turns it off).
  std::optional<std::string> dump_dir;
};

// Options of code generation that come from CompileOptions.
struct CodegenOptions {
  int opt_level = 3;          // 0..3
  bool precise_math = false;  // libm-accurate math instead of fast approximations
  std::optional<std::string> dump_dir;
};

// CompileError "<who>: opt_level must be 0, 1, 2 or 3, got N" unless it is.
void check_opt_level(int opt_level, const std::string& who);

// What compile() returns.
struct CompiledModule {
  std::string source;  // the generated code as text (LLVM IR, CUDA C, C)
  // Where the backend has one, the code before its optimizer (LLVM IR before O3).
  std::string source_unoptimized;
  std::shared_ptr<runtime::KernelModule> module;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // The name targets select it by (Target::backend).
  virtual std::string name() const = 0;
  // Schedules one fused kernel in place with the backend's default rules; `params` holds
  // values of tuning_knobs(). Each step is legality-checked by IRSchedule.
  virtual void schedule(ir::IRSchedule& sch, KernelKind kind, const common::Target& target,
                        const ScheduleParams& params) const = 0;
  virtual std::vector<TuningKnob> tuning_knobs(KernelKind kind, const common::Target& target) const = 0;
  // The loop passes between scheduling and compile() (backends/build.h).
  virtual LoopOptions loop_options(const CodegenOptions& options) const = 0;
  // Code generation of a module whose functions went through the loop passes of
  // loop_options(): kernels loaded and ready to launch. CompileError when the module
  // cannot be compiled, ScheduleError for an illegal binding of the target's resources.
  virtual CompiledModule compile(const ir::Module& module, const CodegenOptions& options) const = 0;
};

// Registers `backend` under its name. CompileError when the name is taken.
void register_backend(std::shared_ptr<const Backend> backend);
// The backend of `target` (Target::backend); CompileError naming the registered backends
// when none has that name.
const Backend& backend_for(const common::Target& target);
std::vector<std::string> registered_backends();

}  // namespace cinn::backends
