// x86 code generation through LLVM and ORC JIT. No LLVM header is included here.
#pragma once

#include <memory>
#include <string>

#include "cinn/ir/lowered_func.h"

namespace cinn::backends {

struct LLVMOptions {
  // Map exp/log/tanh/erf/... to libm calls instead of the vectorizable approximations
  // (ir/lower_math.h, which backends::lower_to_loops then skips).
  bool precise_math = false;
  // O3 (default) or O0, for debugging.
  int opt_level = 3;
};

// A module compiled to machine code in this process. Every function has the ABI
//   void name(void** args, const int64_t* sizes)
// where args[i] points at the data of buffer argument i and sizes[k] is size_vars[k].
class JitModule {
 public:
  using KernelFn = void (*)(void** args, const int64_t* sizes);
  ~JitModule();
  KernelFn lookup(const std::string& name) const;
  // The LLVM IR after optimization.
  const std::string& llvm_ir() const;
  // The LLVM IR as generated, before optimization (empty for a loaded module).
  const std::string& llvm_ir_unoptimized() const;
  // The machine code, an object file for this host (what load_object takes back).
  const std::string& object_code() const;

  struct Impl;
  explicit JitModule(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Generates, optimizes (for the host CPU and the target's features) and JIT-compiles
// the module. The functions must already be lowered to loops (see backends/pipeline.h).
std::unique_ptr<JitModule> compile_llvm(const ir::Module& m, const LLVMOptions& opts);

// A module from machine code that compile_llvm produced on a host of the same
// host_code_id (the compile cache); `llvm_ir` is what llvm_ir() returns.
std::unique_ptr<JitModule> load_object(std::string object, std::string llvm_ir);

// The host CPU name and features code is generated for.
std::string host_code_id();

}  // namespace cinn::backends
