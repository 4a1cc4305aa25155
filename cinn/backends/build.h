// From a scheduled LoweredFunc to a callable kernel on the host CPU.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cinn/backends/llvm/jit_module.h"
#include "cinn/common/target.h"
#include "cinn/ir/lowered_func.h"
#include "cinn/ir/pass_manager.h"

namespace cinn::backends {

struct BuildOptions {
  LLVMOptions llvm;
  // Run the vectorize pass (off for backends that print scalar code, like C).
  bool vectorize = true;
  // Where to dump the IR after every loop pass; overrides $CINN_DUMP_DIR ("" turns it off).
  std::optional<std::string> dump_dir;
};

// The loop-level passes between scheduling and code generation (ir/transforms.h), in order:
//    1. lower_schedule_blocks   blocks -> plain loops, reduction inits placed
//    2. simplify
//    3. loop_partition          guard-free main loops over full tiles, guarded tails
//    4. remove_unit_loops       extent-1 loops (kept for the scheduler) -> their bodies
//    5. simplify
//    6. flatten_storage         one row-major index per access
//    7. lower_math              float32 math -> vectorizable approximations (ir/lower_math.h;
//                               not with opts.llvm.precise_math)
//    8. unroll_loops            kUnrolled loops with constant extent <= 64 -> copies
//    9. vectorize_loops         kVectorized loops -> Ramp/Broadcast (not with !opts.vectorize)
//   10. simplify
//   11. hoist_loop_invariant    invariant loads and math out of loops, into lets
//   12. simplify
// The ir::PassManager runs the verifier after each pass and dumps the IR after each one to
// $CINN_DUMP_DIR/<function>/<NN>_<pass>.txt when that variable (or opts.dump_dir) is set.
ir::PassManager loop_passes(const BuildOptions& opts = {});
ir::LoweredFunc lower_to_loops(const ir::LoweredFunc& f, const BuildOptions& opts = {});

// A compiled kernel with the signature of its LoweredFunc.
class Kernel {
 public:
  Kernel(ir::LoweredFunc source, ir::LoweredFunc lowered, std::unique_ptr<JitModule> jit);
  // args[i]: data of buffer argument i; sizes[k]: value of size_vars[k].
  void call(void** args, const int64_t* sizes) const { fn_(args, sizes); }
  const ir::LoweredFunc& func() const { return source_; }
  // The function after the loop-level passes, as it went to code generation.
  const ir::LoweredFunc& lowered() const { return lowered_; }
  const std::string& llvm_ir() const { return jit_->llvm_ir(); }
  const std::string& llvm_ir_unoptimized() const { return jit_->llvm_ir_unoptimized(); }

 private:
  ir::LoweredFunc source_, lowered_;
  std::unique_ptr<JitModule> jit_;
  JitModule::KernelFn fn_;
};

// Readable C99 source of the function after the loop passes (scalar: vectorized loops stay
// loops, math uses libm), with the same ABI as the JIT-compiled kernel.
std::string c_source(const ir::LoweredFunc& f);

std::shared_ptr<Kernel> build(const ir::LoweredFunc& f, const common::Target& target,
                              const BuildOptions& opts = {});

}  // namespace cinn::backends
