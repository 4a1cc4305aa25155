// x86 code generation through LLVM and ORC JIT. No LLVM header is included here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cinn/ir/lowered_func.h"
#include "cinn/runtime/module.h"

namespace cinn::backends {

struct LLVMOptions {
  // O3 (default) or O0, for debugging.
  int opt_level = 3;
};

// A module compiled to machine code in this process. Every function has the ABI
//   void name(void** args, const int64_t* sizes)
// where args[i] points at the data of buffer argument i and sizes[k] is size_vars[k].
//
// The module's functions are compiled in parts, one per thread of the runtime's pool
// (each part its own LLVM module, optimized and compiled to an object file; the JIT links
// the objects). As a runtime::KernelModule its image has the format "x86-object" (files
// kernels.0.o, kernels.1.o, ..., kernels.ll and kernels.txt: the object code of each part,
// the optimized LLVM IR of the parts in turn and the kernel names),
// loadable in a process of the compiler on a host of the same host_code_id; the portable
// image is a "host-so" shared library linked from the object code by the system C compiler
// ($CC, else cc), which the runtime-only build loads.
class JitModule final : public runtime::KernelModule {
 public:
  using KernelFn = void (*)(void** args, const int64_t* sizes);
  struct Impl;
  explicit JitModule(std::unique_ptr<Impl> impl);
  ~JitModule() override;

  KernelFn lookup(const std::string& name) const;
  // The LLVM IR after optimization.
  const std::string& llvm_ir() const;
  // The LLVM IR as generated, before optimization (empty for a loaded module).
  const std::string& llvm_ir_unoptimized() const;

  runtime::Device& device() override { return runtime::host_device(); }
  int find(const std::string& name) const override;
  void launch(int kernel, void* const* args, const int64_t* sizes) override;
  runtime::ModuleImage image() const override;
  runtime::ModuleImage portable_image() const override;

 private:
  std::unique_ptr<Impl> impl_;
};

// Generates, optimizes (for the host CPU and the target's features) and JIT-compiles
// the module. The functions must already be lowered to loops (backends/build.h).
std::unique_ptr<JitModule> compile_llvm(const ir::Module& m, const LLVMOptions& opts);

// The module of an "x86-object" image (JitModule::image) made on a host of the same
// host_code_id; ExecutionError when the image is incomplete. The LLVM backend registers
// this as the loader of that format.
std::shared_ptr<JitModule> load_object_image(const runtime::ModuleImage& image);

// The host CPU name and features code is generated for.
std::string host_code_id();

}  // namespace cinn::backends
