#include "cinn/backends/build.h"

#include "cinn/backends/c/codegen_c.h"
#include "cinn/ir/lower_math.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/verifier.h"

namespace cinn::backends {

ir::LoweredFunc lower_to_loops(const ir::LoweredFunc& f, const BuildOptions& opts) {
  ir::Stmt s = ir::simplify(ir::lower_schedule_blocks(f.body()));
  s = ir::flatten_storage(s);
  if (!opts.llvm.precise_math) s = ir::lower_math_approximations(s);
  if (opts.vectorize) s = ir::vectorize_loops(s);
  s = ir::simplify(s);
  ir::LoweredFunc out = f.with_body(s);
  ir::verify(out);
  return out;
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
