// runtime::Executable: a compiled graph, run many times.
//
// It owns the kernels (a KernelModule of some backend), the ordered kernel launches, the
// buffers with their memory plan, and the input and output bindings. Nothing here depends
// on the compiler: a runtime-only build constructs one from a saved artifact (artifact.h).
//
// Thread safety: several threads may call `run` on one Executable at once: each call takes
// an arena for the intermediate buffers of its own from a pool (arenas are reused across
// calls, so a steady loop neither allocates nor page-faults fresh memory each run).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cinn/common/type.h"
#include "cinn/runtime/module.h"

namespace cinn::runtime {

struct BufferSpec {
  // kConstant: a literal owned by the executable (`data`), never written.
  enum class Kind : uint8_t { kInput, kOutput, kTemp, kConstant };
  std::string name;
  common::Type dtype;
  std::vector<int64_t> shape;
  Kind kind = Kind::kTemp;
  int64_t offset = 0;  // kTemp: byte offset in the arena
  std::shared_ptr<const void> data;  // kConstant: bytes() bytes
  int64_t bytes() const;
};

struct Launch {
  std::string kernel;  // the module's function
  std::string name;    // the fusion group it computes (several may share one function)
  const std::string& group() const { return name.empty() ? kernel : name; }
  std::vector<int> args;  // buffer indices in the kernel's argument order
  // (output arg, input arg) positions that may share memory: the kernel reads each element
  // of the input only to compute the output element at the same index, before writing it
  // (ir::inplace_arg_pairs).
  std::vector<std::pair<int, int>> inplace;
};

struct ExecutablePlan {
  std::vector<BufferSpec> buffers;
  std::vector<Launch> launches;
  std::vector<int> inputs;   // buffer index of each input, in declaration order
  std::vector<int> outputs;  // buffer index of each output, in order
  // (output, input) index pairs: the output may be returned in the input's memory, which
  // then holds the new value after the run (a parameter updated by a training step). The
  // caller passes the input's pointer as that output's; any other pointer works too.
  std::vector<std::pair<int, int>> aliases;
  int64_t arena_bytes = 0;
};

// Makes the plan correct for its aliases, before plan_memory. For each (output, input)
// pair, the launch W writing the output goes after every other launch reading the input
// (launches are reordered, keeping the original order where dependencies allow) and then
// writes straight into the input's memory, provided W itself reads the input only as its
// Launch::inplace pairs allow. Where that is impossible (a reader of the old value needs
// W's results), the output goes to the arena and is copied into the input's memory at the
// end of the run. Returns the number of aliases written in place; throws InternalError for
// pairs of different sizes and for an updated input also returned as another output.
int plan_aliases(ExecutablePlan* plan);

// Assigns arena offsets to the kTemp buffers by liveness (first use to last use among the
// launches; to the end for a kTemp output, copied out after the last launch): buffers whose lifetimes do not overlap share memory, and a launch's output
// takes the place of an input it may overwrite (Launch::inplace) when that input dies there
// and has the same size. Returns the arena size.
int64_t plan_memory(ExecutablePlan* plan);

class Executable {
 public:
  // Resolves every launch's kernel in `module` (ExecutionError when one is missing); a
  // plan without launches still needs the module for its device.
  Executable(ExecutablePlan plan, std::shared_ptr<KernelModule> module);
  ~Executable();

  const ExecutablePlan& plan() const { return plan_; }
  KernelModule& module() const { return *module_; }
  const BufferSpec& input(size_t i) const { return plan_.buffers[plan_.inputs[i]]; }
  const BufferSpec& output(size_t i) const { return plan_.buffers[plan_.outputs[i]]; }
  size_t num_inputs() const { return plan_.inputs.size(); }
  size_t num_outputs() const { return plan_.outputs.size(); }
  // Index of the input named `name`, or -1.
  int find_input(const std::string& name) const;
  // Bytes of intermediate memory one run needs, and what they would take unshared.
  int64_t arena_bytes() const { return plan_.arena_bytes; }
  int64_t unplanned_temp_bytes() const;
  // Of the plan's aliases, those whose output is written straight into the input's memory
  // (the others are copied in after the last launch; see plan_aliases).
  int aliases_in_place() const;

  // inputs[i]: host memory of input i (shape and dtype as declared: the caller checks);
  // outputs[i]: caller-allocated host memory of output i. Outputs that are not written by
  // a kernel (an input returned as is, a value returned twice) are copied in. On a device
  // other than the host, inputs are copied to device memory and outputs back.
  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) const;
  // The same with inputs and outputs already in the module's device memory; returns when
  // the outputs are written.
  void run_on_device(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) const;
  // `run` that also times each launch (seconds, in launch order): the device is
  // synchronized after every launch, so kernels do not overlap; a profile, not a benchmark
  // of the whole run.
  std::vector<double> run_profiled(const std::vector<const void*>& inputs,
                                   const std::vector<void*>& outputs) const;

 private:
  void check_arity(size_t inputs, size_t outputs) const;
  void run_impl(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
                std::vector<double>* launch_seconds) const;
  void execute(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
               std::vector<double>* launch_seconds = nullptr) const;
  // Device copies of the constants (the host data itself on the host), made on first use.
  const std::vector<void*>& device_constants() const;

  ExecutablePlan plan_;
  std::shared_ptr<KernelModule> module_;
  std::vector<int> kernel_of_launch_;
  mutable std::once_flag constants_once_;
  mutable std::vector<void*> constants_;  // by buffer index
  // Arenas not in use by a run (device memory of arena_bytes each).
  mutable std::mutex arenas_mu_;
  mutable std::vector<void*> free_arenas_;
  friend class ArenaLease;
};

}  // namespace cinn::runtime
