#include "cinn/backends/build.h"

#include "cinn/backends/c/codegen_c.h"
#include "cinn/ir/lower_math.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/transforms.h"

namespace cinn::backends {

ir::PassManager loop_passes(const BuildOptions& opts) {
  auto simplify = [](const ir::Stmt& s) { return ir::simplify(s); };
  ir::PassManager pm(opts.dump_dir);
  pm.add("lower_schedule_blocks", ir::lower_schedule_blocks)
      .add("simplify", simplify)
      .add("loop_partition", ir::loop_partition)
      .add("remove_unit_loops", ir::remove_unit_loops)
      .add("flatten_storage", ir::flatten_storage)
      .add("simplify", simplify);
  if (!opts.llvm.precise_math)
    pm.add("lower_math", [](const ir::Stmt& s) { return ir::lower_math_approximations(s); });
  pm.add("unroll_loops", [](const ir::Stmt& s) { return ir::unroll_loops(s); });
  if (opts.vectorize) {
    pm.add("vectorize_loops", [](const ir::Stmt& s) { return ir::vectorize_loops(s); });
  }
  pm.add("simplify", simplify)
      .add("hoist_loop_invariant", ir::hoist_loop_invariant)
      .add("simplify", simplify);
  return pm;
}

ir::LoweredFunc lower_to_loops(const ir::LoweredFunc& f, const BuildOptions& opts) {
  return loop_passes(opts).run(f);
}

Kernel::Kernel(ir::LoweredFunc source, ir::LoweredFunc lowered, std::unique_ptr<JitModule> jit)
    : source_(std::move(source)), lowered_(std::move(lowered)), jit_(std::move(jit)) {
  fn_ = jit_->lookup(source_.name());
}

std::string c_source(const ir::LoweredFunc& f) {
  BuildOptions opts;
  opts.llvm.precise_math = true;
  opts.vectorize = false;
  return c::codegen_c(lower_to_loops(f, opts));
}

std::shared_ptr<Kernel> build(const ir::LoweredFunc& f, const common::Target& target,
                              const BuildOptions& opts) {
  if (target.arch != common::Target::Arch::kX86) {
    CINN_THROW(CompileError) << "build: only x86 targets are supported so far, got "
                             << target.to_string();
  }
  ir::LoweredFunc lowered = lower_to_loops(f, opts);
  ir::Module m{f.name(), target, {lowered}};
  return std::make_shared<Kernel>(f, lowered, compile_llvm(m, opts.llvm));
}

}  // namespace cinn::backends
