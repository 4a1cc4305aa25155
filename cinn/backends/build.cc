#include "cinn/backends/build.h"

#include "cinn/backends/c/codegen_c.h"
#include "cinn/common/error.h"
#include "cinn/ir/lower_math.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/transforms.h"

namespace cinn::backends {

ir::PassManager loop_passes(const LoopOptions& opts) {
  auto simplify = [](const ir::Stmt& s) { return ir::simplify(s); };
  ir::PassManager pm(opts.dump_dir);
  pm.add("lower_thread_reductions", ir::lower_thread_reductions)
      .add("lower_schedule_blocks", ir::lower_schedule_blocks)
      .add("simplify", simplify);
  if (opts.gpu) pm.add_func("compact_gpu_buffers", ir::compact_gpu_buffers);
  if (!opts.gpu) pm.add("fuse_sibling_loops", ir::fuse_sibling_loops);
  pm.add("loop_partition", ir::loop_partition).add("remove_unit_loops", ir::remove_unit_loops);
  if (opts.gpu) pm.add("insert_gpu_barriers", ir::insert_gpu_barriers);
  pm.add("flatten_storage", ir::flatten_storage)
      .add("simplify", simplify)
      .add("lower_philox", [](const ir::Stmt& s) { return ir::lower_philox(s); });
  if (opts.lower_math)
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

ir::LoweredFunc lower_to_loops(const ir::LoweredFunc& f, const LoopOptions& opts) {
  return loop_passes(opts).run(f);
}

Kernel::Kernel(ir::LoweredFunc source, ir::LoweredFunc lowered, CompiledModule code)
    : source_(std::move(source)), lowered_(std::move(lowered)), code_(std::move(code)) {
  index_ = code_.module->find(source_.name());
}

void Kernel::call(void** args, const int64_t* sizes, const int64_t* arg_bytes) const {
  runtime::KernelModule& m = *code_.module;
  runtime::Device& dev = m.device();
  if (dev.is_host()) {
    m.launch(index_, args, sizes);
    return;
  }
  if (!arg_bytes) {
    CINN_THROW(InternalError) << "kernel '" << source_.name() << "': a call on " << dev.name()
                              << " needs the argument sizes";
  }
  std::vector<int64_t> bytes(arg_bytes, arg_bytes + source_.args().size());
  runtime::DeviceBuffers dptr(dev);
  for (size_t i = 0; i < bytes.size(); ++i) {
    dev.copy(dptr.alloc(bytes[i]), args[i], bytes[i], runtime::Device::Copy::kHostToDevice);
  }
  m.launch(index_, dptr.data(), sizes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    dev.copy(args[i], dptr[i], bytes[i], runtime::Device::Copy::kDeviceToHost);
  }
  dev.synchronize();
}

std::string c_source(const ir::LoweredFunc& f) {
  LoopOptions opts;
  opts.lower_math = false;
  opts.vectorize = false;
  return c::codegen_c(lower_to_loops(f, opts));
}

void check_opt_level(int opt_level, const std::string& who) {
  if (opt_level < 0 || opt_level > 3)
    CINN_THROW(CompileError) << who << ": opt_level must be 0, 1, 2 or 3, got " << opt_level;
}

std::shared_ptr<Kernel> build(const ir::LoweredFunc& f, const common::Target& target,
                              const CodegenOptions& opts) {
  check_opt_level(opts.opt_level, "build '" + f.name() + "'");
  const Backend& backend = backend_for(target);
  LoopOptions lopts = backend.loop_options(opts);
  ir::LoweredFunc lowered = lower_to_loops(f, lopts);
  ir::Module m{f.name(), target, {lowered}};
  return std::make_shared<Kernel>(f, lowered, backend.compile(m, opts));
}

}  // namespace cinn::backends
