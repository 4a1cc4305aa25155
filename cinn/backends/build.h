// From a scheduled LoweredFunc to a callable kernel on the host CPU.
#pragma once

#include <memory>
#include <string>

#include "cinn/backends/llvm/jit_module.h"
#include "cinn/common/target.h"
#include "cinn/ir/lowered_func.h"

namespace cinn::backends {

struct BuildOptions {
  LLVMOptions llvm;
  // Run the vectorize pass (off for backends that print scalar code, like C).
  bool vectorize = true;
};

// The loop-level passes between scheduling and code generation, in order: lower schedule
// blocks, simplify, flatten storage, replace float32 math calls by vectorizable
// approximations (ir/lower_math.h; skipped with opts.llvm.precise_math), vectorize,
// simplify, verify.
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
