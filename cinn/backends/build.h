// From a scheduled LoweredFunc to a callable kernel, through the target's Backend.
#pragma once

#include <memory>
#include <string>

#include "cinn/backends/backend.h"
#include "cinn/common/target.h"
#include "cinn/ir/lowered_func.h"
#include "cinn/ir/pass_manager.h"

namespace cinn::backends {

// The loop-level passes between scheduling and code generation (ir/transforms.h), in order:
//    1. lower_schedule_blocks   blocks -> plain loops, reduction inits placed
//    2. simplify
//    2b. fuse_sibling_loops     adjacent loops over one range -> one loop (CPU only)
//    3. loop_partition          guard-free main loops over full tiles, guarded tails
//    4. remove_unit_loops       extent-1 loops (kept for the scheduler) -> their bodies
//    5. simplify
//    6. flatten_storage         one row-major index per access
//    7. lower_math              float32 math -> vectorizable approximations (ir/lower_math.h;
//                               only with opts.lower_math)
//    8. unroll_loops            kUnrolled loops with constant extent <= 64 -> copies
//    9. vectorize_loops         kVectorized loops -> Ramp/Broadcast (only with opts.vectorize)
//   10. simplify
//   11. hoist_loop_invariant    invariant loads and math out of loops, into lets
//   12. simplify
// The ir::PassManager runs the verifier after each pass and dumps the IR after each one to
// $CINN_DUMP_DIR/<function>/<NN>_<pass>.txt when that variable (or opts.dump_dir) is set.
ir::PassManager loop_passes(const LoopOptions& opts = {});
ir::LoweredFunc lower_to_loops(const ir::LoweredFunc& f, const LoopOptions& opts = {});

// A compiled kernel with the signature of its LoweredFunc.
class Kernel {
 public:
  Kernel(ir::LoweredFunc source, ir::LoweredFunc lowered, CompiledModule code);
  // args[i]: host memory of buffer argument i; sizes[k]: value of size_vars[k]. On a
  // device other than the host, each buffer (arg_bytes[i] bytes) is copied to the device
  // and back; arg_bytes is only read then.
  void call(void** args, const int64_t* sizes, const int64_t* arg_bytes = nullptr) const;
  const ir::LoweredFunc& func() const { return source_; }
  // The function after the loop-level passes, as it went to code generation.
  const ir::LoweredFunc& lowered() const { return lowered_; }
  // The generated code, and (LLVM) the code before the backend's optimizer.
  const std::string& source() const { return code_.source; }
  const std::string& source_unoptimized() const { return code_.source_unoptimized; }
  runtime::KernelModule& module() const { return *code_.module; }

 private:
  ir::LoweredFunc source_, lowered_;
  CompiledModule code_;
  int index_ = 0;
};

// Readable C99 source of the function after the loop passes (scalar: vectorized loops stay
// loops, math uses libm), with the same ABI as the JIT-compiled kernel.
std::string c_source(const ir::LoweredFunc& f);

// The loop passes of target's backend, then its code generation.
std::shared_ptr<Kernel> build(const ir::LoweredFunc& f, const common::Target& target,
                              const CodegenOptions& opts = {});

}  // namespace cinn::backends
