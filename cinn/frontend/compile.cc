#include "cinn/frontend/compile.h"

#include <map>
#include <sstream>

#include "cinn/backends/build.h"
#include "cinn/backends/llvm/jit_module.h"
#include "cinn/backends/schedule_x86.h"
#include "cinn/frontend/passes.h"
#include "cinn/hlir/fusion.h"
#include "cinn/hlir/lower.h"
#include "cinn/ir/schedule.h"

namespace cinn::frontend {
namespace {

backends::KernelKind kernel_kind(hlir::OpPattern p) {
  switch (p) {
    case hlir::OpPattern::kReduction: return backends::KernelKind::kReduction;
    case hlir::OpPattern::kOutFusible: return backends::KernelKind::kOutFusible;
    case hlir::OpPattern::kOpaque: return backends::KernelKind::kOpaque;
    default: return backends::KernelKind::kElementWise;
  }
}

}  // namespace

std::shared_ptr<CompiledProgram> compile(const Program& program, const common::Target& target,
                                         const CompileOptions& options) {
  if (target.arch != common::Target::Arch::kX86) {
    CINN_THROW(CompileError) << "compile: only x86 targets are supported so far, got "
                             << target.to_string();
  }
  auto result = std::make_shared<CompiledProgram>();
  std::unique_ptr<hlir::Graph> g = eliminate_dead_code(*decompose(program.graph()));
  result->primitive_graph = g->to_string();
  std::vector<hlir::FusionGroup> groups = hlir::fuse_ops(*g, options.fusion);

  backends::BuildOptions bopts;
  bopts.llvm.opt_level = options.opt_level;
  bopts.llvm.precise_math = options.precise_math;
  bopts.dump_dir = options.dump_dir;

  runtime::ExecutablePlan plan;
  std::map<const hlir::Value*, int> buffer_of;
  auto buffer = [&](const hlir::Value* v, runtime::BufferSpec::Kind kind) {
    auto it = buffer_of.find(v);
    if (it != buffer_of.end()) return it->second;
    runtime::BufferSpec b;
    b.name = v->name;
    b.dtype = v->dtype();
    b.shape = v->shape();
    b.kind = kind;
    plan.buffers.push_back(b);
    return buffer_of[v] = static_cast<int>(plan.buffers.size() - 1);
  };
  for (hlir::Value* v : g->inputs()) plan.inputs.push_back(buffer(v, runtime::BufferSpec::Kind::kInput));
  for (hlir::Value* v : g->outputs()) {
    plan.outputs.push_back(buffer(v, v->producer ? runtime::BufferSpec::Kind::kOutput
                                                 : runtime::BufferSpec::Kind::kInput));
  }

  ir::Module module{g->name(), target, {}};
  std::ostringstream loop_ir;
  for (const hlir::FusionGroup& fg : groups) {
    hlir::LoweredGroup lg = hlir::lower_group(fg);
    ir::IRSchedule sch(lg.func);
    backends::schedule_x86(sch, kernel_kind(fg.kind), target);
    ir::LoweredFunc lowered = backends::lower_to_loops(sch.func(), bopts);
    loop_ir << sch.func().to_string() << "\n";
    module.functions.push_back(lowered);

    runtime::Launch launch;
    launch.kernel = fg.name;
    for (const hlir::Value* v : lg.args) launch.args.push_back(buffer(v, runtime::BufferSpec::Kind::kTemp));
    plan.launches.push_back(launch);

    CompiledKernelInfo info;
    info.name = fg.name;
    info.pattern = hlir::op_pattern_name(fg.kind);
    for (const hlir::Node* n : fg.nodes) info.ops.push_back(n->op_name());
    for (const hlir::Value* v : fg.inputs) info.inputs.push_back(v->name);
    for (const hlir::Value* v : fg.outputs) info.outputs.push_back(v->name);
    result->kernels.push_back(info);
  }
  runtime::plan_memory(&plan);

  std::shared_ptr<backends::JitModule> jit;
  if (!module.functions.empty()) {
    jit = backends::compile_llvm(module, bopts.llvm);
    for (runtime::Launch& l : plan.launches) l.fn = jit->lookup(l.kernel);
    result->source = jit->llvm_ir();
  }
  result->loop_ir = loop_ir.str();
  result->executable = std::make_shared<runtime::Executable>(std::move(plan), std::shared_ptr<void>(jit));
  return result;
}

}  // namespace cinn::frontend
