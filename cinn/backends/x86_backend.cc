// The x86 backend: the x86 schedule templates (schedule_x86.h) and LLVM code generation
// JIT-compiled in this process (llvm/jit_module.h).
#include <algorithm>

#include "cinn/backends/backends_builtin.h"
#include "cinn/backends/llvm/jit_module.h"
#include "cinn/backends/schedule_x86.h"

namespace cinn::backends {
namespace {

std::vector<int64_t> unique_sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

class X86Backend final : public Backend {
 public:
  std::string name() const override { return "x86"; }

  void schedule(ir::IRSchedule& sch, KernelKind kind, const common::Target& target,
                const ScheduleParams& params) const override {
    schedule_x86(sch, kind, target, x86_tile_params(params));
  }

  std::vector<TuningKnob> tuning_knobs(KernelKind kind, const common::Target& target) const override {
    int64_t lanes = std::max(target.vector_lanes(32), 4);
    switch (kind) {
      case KernelKind::kOutFusible:
        return {{"matmul_mr", {4, 6, 8, 12}, "matmul register tile rows (unrolled)"},
                {"matmul_nr", {lanes, 2 * lanes, 3 * lanes}, "matmul register tile columns (vectorized)"},
                {"matmul_kc", {64, 128, 256, 512}, "matmul reduction block"},
                // Output widths of CNNs are often multiples of 7 (224 / 2^k): 7, 14 and 28
                // divide them where a power of two does not.
                {"conv_xv", unique_sorted({4, 7, 8, 14, lanes, 28}), "conv2d output-row vector width"},
                {"conv_fr", {2, 4, 8, 16}, "conv2d output channels per register tile"},
                {"conv_yr", {1, 2, 4, 7}, "conv2d output rows per register tile"}};
      default: return {};
    }
  }

  LoopOptions loop_options(const CodegenOptions& options) const override {
    LoopOptions lo;
    lo.lower_math = !options.precise_math;
    lo.vectorize = true;
    lo.dump_dir = options.dump_dir;
    return lo;
  }

  CompiledModule compile(const ir::Module& module, const CodegenOptions& options) const override {
    LLVMOptions lo;
    lo.opt_level = options.opt_level;
    std::shared_ptr<JitModule> jit = compile_llvm(module, lo);
    CompiledModule out;
    out.source = jit->llvm_ir();
    out.source_unoptimized = jit->llvm_ir_unoptimized();
    out.module = jit;
    return out;
  }
};

}  // namespace

std::shared_ptr<const Backend> make_x86_backend() {
  runtime::register_module_loader("x86-object", [](const runtime::ModuleImage& im) {
    return std::shared_ptr<runtime::KernelModule>(load_object_image(im));
  });
  return std::make_shared<X86Backend>();
}

}  // namespace cinn::backends
