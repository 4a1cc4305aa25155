#include "cinn/frontend/compile.h"

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "cinn/backends/backend.h"
#include "cinn/backends/build.h"
#include "cinn/common/dump.h"
#include "cinn/common/log.h"
#include "cinn/auto_schedule/database.h"
#include "cinn/frontend/compile_cache.h"
#include "cinn/frontend/tune.h"
#include "cinn/frontend/passes.h"
#include "cinn/hlir/fusion.h"
#include "cinn/hlir/lower.h"
#include "cinn/hlir/pass.h"
#include "cinn/ir/schedule.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/transforms.h"
#include "cinn/runtime/thread_pool.h"

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

// Replaces each `constant` node too large to emit inline by a graph input standing for a
// constant buffer; `literals` maps those inputs to their data.
std::unique_ptr<hlir::Graph> externalize_literals(const hlir::Graph& g,
                                                  std::map<const hlir::Value*, hlir::ConstDataPtr>* literals) {
  int count = 0;
  return hlir::rewrite_graph(g, [&](hlir::Builder& b, const hlir::Node& n, const std::vector<hlir::Value*>&)
                                    -> std::optional<std::vector<hlir::Value*>> {
    if (n.op_name() != "constant") return std::nullopt;
    auto data = hlir::get_attr<hlir::ConstDataPtr>(n.attrs, "value");
    if (hlir::num_elements(data->shape) <= hlir::kMaxInlineConstant) return std::nullopt;
    std::string name;
    do {
      name = "__constant" + std::to_string(count++);
    } while (b.graph().input(name));
    hlir::Value* v = b.graph().add_input(name, data->shape, data->dtype);
    (*literals)[v] = data;
    return std::vector<hlir::Value*>{v};
  });
}

// Evaluates a graph without inputs by compiling it for the host and running it once.
std::vector<hlir::ConstDataPtr> evaluate_constants(const hlir::Graph& g, const CompileOptions& options) {
  CompileOptions inner = options;
  inner.fold_constants = false;
  inner.cache = false;
  inner.dump_dir = "";
  auto copy = std::shared_ptr<const hlir::Graph>(hlir::rewrite_graph(g, nullptr));
  auto compiled = compile(Program(copy), common::Target::host_x86(), inner);
  std::vector<std::shared_ptr<hlir::ConstData>> data;
  std::vector<void*> outs;
  for (const hlir::Value* v : g.outputs()) {
    auto d = std::make_shared<hlir::ConstData>();
    d->dtype = v->dtype();
    d->shape = v->shape();
    d->bytes.resize(static_cast<size_t>(hlir::num_elements(v->shape()) * v->dtype().bytes()));
    outs.push_back(d->bytes.data());
    data.push_back(d);
  }
  compiled->executable->run({}, outs);
  return {data.begin(), data.end()};
}

std::unique_ptr<hlir::Graph> run_graph_passes(const hlir::Graph& g,
                                              const CompileOptions& options) {

  hlir::GraphPassManager pm(options.dump_dir);
  pm.add("decompose", decompose);
  pm.add("dead_code", eliminate_dead_code);
  pm.add("simplify", simplify);
  pm.add("cse", eliminate_common_subexpressions);
  if (options.fold_constants) {
    pm.add("fold_conv_scales", fold_conv_scales);
    pm.add("fold_constants", [options](const hlir::Graph& x) {
      return fold_constants(x, [&](const hlir::Graph& c) { return evaluate_constants(c, options); });
    });
    pm.add("simplify_folded", simplify);
    pm.add("cse_folded", eliminate_common_subexpressions);
  }
  pm.add("dead_code_final", eliminate_dead_code);
  return pm.run(g);
}

// A program after the graph passes, cut into fusion groups.
struct FusedProgram {
  std::string primitive_graph;  // before literals were externalized
  std::unique_ptr<hlir::Graph> graph;
  std::map<const hlir::Value*, hlir::ConstDataPtr> literals;
  std::vector<hlir::FusionGroup> groups;
};

FusedProgram fuse_program(const Program& program, const CompileOptions& options) {
  FusedProgram f;
  f.graph = run_graph_passes(program.graph(), options);
  f.primitive_graph = f.graph->to_string();
  // Literals too large to emit inline become constant buffers of the executable.
  f.graph = externalize_literals(*f.graph, &f.literals);
  f.groups = hlir::fuse_ops(*f.graph, options.fusion);
  return f;
}

// Schedules one kernel: the fastest record of its task in `db`, else the backend's rules.
// `db_mu` serializes the reads of `db` (kernels are scheduled in parallel).
ir::LoweredFunc schedule_kernel(const hlir::FusionGroup& fg, const ir::LoweredFunc& func, const common::Target& target,
                                const CompileOptions& options, auto_schedule::Database* db, std::mutex* db_mu,
                                std::string* how) {
  const backends::Backend& backend = backends::backend_for(target);
  backends::KernelKind kind = kernel_kind(fg.kind);
  *how = "default";
  if (db) {
    auto_schedule::Task task = auto_schedule::make_task(fg.name, kind, func, target);
    std::optional<auto_schedule::TuningRecord> record;
    {
      std::lock_guard<std::mutex> lock(*db_mu);
      record = db->best(task.key, target.to_string());
    }
    if (record) {
      try {
        ir::LoweredFunc tuned = auto_schedule::replay_record(task, record->trace_json).func();
        *how = "tuned";
        return tuned;
      } catch (const ScheduleError& e) {
        CINN_LOG(kWarning) << "tuning record of kernel '" << fg.name << "' in " << db->path()
                           << " does not replay (" << e.what() << "); using the default schedule";
      }
    }
  }
  ir::IRSchedule sch(func);
  backend.schedule(sch, kind, target, options.schedule_params);
  return sch.func();
}

// "1 kernel", "15 kernels".
std::string count(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// "0.123 s" since `start`.
std::string elapsed(std::chrono::steady_clock::time_point start) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(3)
     << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s";
  return os.str();
}

// The pipeline without the cache.
std::shared_ptr<CompiledProgram> compile_uncached(const Program& program, const common::Target& target,
                                                  const CompileOptions& options) {
  auto result = std::make_shared<CompiledProgram>();
  auto t0 = std::chrono::steady_clock::now();
  FusedProgram fused = fuse_program(program, options);
  result->primitive_graph = fused.primitive_graph;
  CINN_LOG(kInfo) << "compile '" << program.graph().name() << "': graph passes and fusion: "
                  << count(fused.graph->nodes().size(), "primitive op") << " in " << count(fused.groups.size(), "kernel")
                  << ", "
                  << elapsed(t0);
  std::unique_ptr<hlir::Graph>& g = fused.graph;
  std::map<const hlir::Value*, hlir::ConstDataPtr>& literals = fused.literals;
  std::vector<hlir::FusionGroup>& groups = fused.groups;
  std::unique_ptr<auto_schedule::Database> db;
  if (!options.database.empty()) db = std::make_unique<auto_schedule::Database>(options.database, /*create=*/false);

  const backends::Backend& backend = backends::backend_for(target);
  backends::CodegenOptions copts;
  copts.opt_level = options.opt_level;
  copts.precise_math = options.precise_math;
  copts.dump_dir = options.dump_dir;
  backends::LoopOptions lopts = backend.loop_options(copts);
  for (const auto& [name, value] : options.schedule_params) {
    std::string known;
    bool found = false;
    for (auto kind : {backends::KernelKind::kElementWise, backends::KernelKind::kReduction,
                      backends::KernelKind::kOutFusible, backends::KernelKind::kOpaque}) {
      for (const backends::TuningKnob& k : backend.tuning_knobs(kind, target)) {
        found = found || k.name == name;
        if (known.find(" " + k.name + ",") == std::string::npos) known += " " + k.name + ",";
      }
    }
    if (!found) {
      CINN_THROW(ScheduleError) << "compile: backend '" << backend.name() << "' has no schedule parameter '"
                                << name << "' (its knobs:" << (known.empty() ? " none" : known.substr(0, known.size() - 1))
                                << ")";
    }
    if (value < 1) {
      CINN_THROW(ScheduleError) << "compile: schedule parameter '" << name << "' must be at least 1, got " << value;
    }
  }

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
  for (hlir::Value* v : g->inputs()) {
    auto lit = literals.find(v);
    if (lit == literals.end()) {
      plan.inputs.push_back(buffer(v, runtime::BufferSpec::Kind::kInput));
      continue;
    }
    runtime::BufferSpec& b = plan.buffers[buffer(v, runtime::BufferSpec::Kind::kConstant)];
    b.data = std::shared_ptr<const void>(lit->second, lit->second->bytes.data());
  }
  for (hlir::Value* v : g->outputs()) {
    plan.outputs.push_back(buffer(v, v->producer ? runtime::BufferSpec::Kind::kOutput
                                                 : runtime::BufferSpec::Kind::kInput));
  }

  ir::Module module{g->name(), target, {}};
  std::ostringstream loop_ir;
  auto t1 = std::chrono::steady_clock::now();
  int tuned = 0;
  // 1. Every kernel lowered (in parallel). Kernels whose lowered functions are the same up to
  // names (the repeated blocks of a ResNet stage or of a transformer's layers) are scheduled
  // and compiled once: a later one launches the first one's function with its own buffers.
  std::vector<hlir::LoweredGroup> lowered_groups(groups.size());
  std::vector<std::string> forms(groups.size());
  runtime::parallel_each(groups.size(), [&](size_t i) {
    lowered_groups[i] = hlir::lower_group(groups[i]);
    forms[i] = std::string(backends::kernel_kind_name(kernel_kind(groups[i].kind))) + '\0' +
               auto_schedule::canonical_form(lowered_groups[i].func);
  });
  struct Compiled {
    size_t first;  // the group it was compiled for
    ir::LoweredFunc scheduled, lowered;
    std::string how;
  };
  std::vector<Compiled> functions;
  std::vector<size_t> function_of(groups.size());
  {
    std::map<std::string, size_t> by_form;  // by kernel kind and canonical form
    for (size_t i = 0; i < groups.size(); ++i) {
      auto [it, fresh] = by_form.try_emplace(std::move(forms[i]), functions.size());
      if (fresh) functions.push_back(Compiled{i, {}, {}, {}});
      function_of[i] = it->second;
    }
  }
  // 2. Each function scheduled and lowered to loops (in parallel).
  std::mutex db_mu;
  runtime::parallel_each(functions.size(), [&](size_t f) {
    Compiled& c = functions[f];
    const hlir::FusionGroup& fg = groups[c.first];
    c.scheduled = schedule_kernel(fg, lowered_groups[c.first].func, target, options, db.get(), &db_mu, &c.how);
    // Intermediate buffers in global memory come from the executable's memory plan.
    c.lowered = ir::global_temps_to_args(backends::lower_to_loops(c.scheduled, lopts));
  });
  for (const Compiled& c : functions) module.functions.push_back(c.lowered);
  // 3. The launches, in order.
  for (size_t i = 0; i < groups.size(); ++i) {
    const hlir::FusionGroup& fg = groups[i];
    const hlir::LoweredGroup& lg = lowered_groups[i];
    const Compiled& c = functions[function_of[i]];
    if (c.first == i) {
      loop_ir << c.scheduled.to_string() << "\n";
    } else {
      loop_ir << "// " << fg.name << ": the function of " << groups[c.first].name << "\n\n";
    }
    const ir::LoweredFunc& lowered = c.lowered;
    const std::string& how = c.how;

    runtime::Launch launch;
    launch.kernel = groups[c.first].name;
    launch.name = fg.name;
    for (const hlir::Value* v : lg.args) launch.args.push_back(buffer(v, runtime::BufferSpec::Kind::kTemp));
    for (size_t a = lg.args.size(); a < lowered.args().size(); ++a) {
      const ir::Buffer& b = lowered.args()[a].buffer;
      runtime::BufferSpec spec;
      spec.name = fg.name + "." + b.name();
      spec.dtype = b.dtype();
      for (const ir::Expr& d : b.shape()) {
        const int64_t* extent = ir::as_const_int(d);
        if (!extent) {
          CINN_THROW(CompileError) << "kernel '" << fg.name << "': intermediate buffer '" << b.name()
                                   << "' has a shape that is not constant";
        }
        spec.shape.push_back(*extent);
      }
      plan.buffers.push_back(spec);
      launch.args.push_back(static_cast<int>(plan.buffers.size() - 1));
    }
    launch.inplace = ir::inplace_arg_pairs(lowered);
    plan.launches.push_back(launch);

    CompiledKernelInfo info;
    info.name = fg.name;
    info.pattern = hlir::op_pattern_name(fg.kind);
    info.schedule = how;
    info.function = launch.kernel;
    for (const hlir::Node* n : fg.nodes) info.ops.push_back(n->op_name());
    for (const hlir::Value* v : fg.inputs) info.inputs.push_back(v->name);
    for (const hlir::Value* v : fg.outputs) info.outputs.push_back(v->name);
    tuned += how == "tuned";
    if (common::log_enabled(common::LogLevel::kDebug)) {
      std::string ops;
      for (const std::string& op : info.ops) ops += " " + op;
      CINN_LOG(kDebug) << "kernel " << info.name << " (" << info.pattern << ", " << how << " schedule):" << ops;
    }
    result->kernels.push_back(info);
  }
  CINN_LOG(kInfo) << "compile '" << program.graph().name() << "': lowering and scheduling "
                  << count(groups.size(), "kernel") << " (" << count(module.functions.size(), "distinct function")
                  << ", " << tuned << " from the tuning database): " << elapsed(t1);
  // Outputs that update inputs in place (a training step's parameters): order the launches
  // for them, then plan the arena over the whole program.
  plan.aliases = program.aliases();
  runtime::plan_aliases(&plan);
  runtime::plan_memory(&plan);

  auto t2 = std::chrono::steady_clock::now();
  backends::CompiledModule code = backend.compile(module, copts);
  CINN_LOG(kInfo) << "compile '" << program.graph().name() << "': code generation (" << backend.name() << "): "
                  << elapsed(t2);
  result->source = code.source;
  result->loop_ir = loop_ir.str();
  result->executable = std::make_shared<runtime::Executable>(std::move(plan), code.module);
  return result;
}

}  // namespace

std::shared_ptr<CompiledProgram> compile(const Program& program, const common::Target& target,
                                         const CompileOptions& options) {
  backends::check_opt_level(options.opt_level, "compile");
  backends::backend_for(target);  // an unknown backend is an error before any work
  // Dumps come from compiling: with a dump directory the cache is not consulted.
  std::string dir = options.cache && common::dump_root(options.dump_dir).empty()
                        ? compile_cache_dir(options) : std::string();
  std::string key, path, status = "off", corrupt;
  if (!dir.empty()) {
    key = compile_cache_key(program, target, options);
    path = (std::filesystem::path(dir) / (key + ".cinn")).string();
    if (auto hit = load_compile_cache(path, key, &corrupt)) {
      CINN_LOG(kInfo) << "compile '" << program.graph().name() << "' for " << target.to_string()
                      << ": compile cache hit " << path;
      hit->cache_status = "hit";
      hit->target = target.to_string();
      hit->cache_path = path;
      return hit;
    }
    status = "miss";
    if (!corrupt.empty()) {
      status = "rebuilt";
      CINN_LOG(kWarning) << "compile cache entry " << path << " is invalid (" << corrupt
                         << "); compiling again and replacing it";
    }
  }
  CINN_LOG(kInfo) << "compile '" << program.graph().name() << "' for " << target.to_string() << ": "
                  << (status == "off" ? std::string("compile cache off") : "compile cache " + status + " " + path);
  auto t0 = std::chrono::steady_clock::now();
  auto result = compile_uncached(program, target, options);
  CINN_LOG(kInfo) << "compile '" << program.graph().name() << "': done in " << elapsed(t0);
  result->cache_status = status;
  result->target = target.to_string();
  if (!dir.empty() && store_compile_cache(path, key, *result)) result->cache_path = path;
  return result;
}

std::vector<auto_schedule::Task> extract_tasks(const Program& program, const common::Target& target,
                                               const CompileOptions& options) {
  backends::backend_for(target);
  FusedProgram fused = fuse_program(program, options);
  std::vector<auto_schedule::Task> tasks;
  std::map<std::string, size_t> index;
  for (const hlir::FusionGroup& fg : fused.groups) {
    hlir::LoweredGroup lg = hlir::lower_group(fg);
    auto_schedule::Task t = auto_schedule::make_task(fg.name, kernel_kind(fg.kind), lg.func, target);
    auto it = index.find(t.key);
    if (it != index.end()) {
      ++tasks[it->second].weight;
      continue;
    }
    index.emplace(t.key, tasks.size());
    tasks.push_back(std::move(t));
  }
  return tasks;
}

auto_schedule::TuneReport tune(const Program& program, const common::Target& target, const std::string& database,
                               const auto_schedule::TuneOptions& tune_options, const CompileOptions& options) {
  if (tune_options.trials < 1) CINN_THROW(CompileError) << "tune: trials must be at least 1, got " << tune_options.trials;
  backends::check_opt_level(options.opt_level, "tune");
  auto_schedule::Database db(database);
  auto_schedule::TuneOptions o = tune_options;
  o.codegen.opt_level = options.opt_level;
  o.codegen.precise_math = options.precise_math;
  o.codegen.dump_dir = "";
  return auto_schedule::tune(extract_tasks(program, target, options), db, o);
}

}  // namespace cinn::frontend
