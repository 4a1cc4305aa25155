// A backend added from outside the compiler: the C source backend (c/codegen_c.h) compiled
// by the system C compiler and loaded with dlopen, registered under its own name. Nothing
// in hlir, frontend or the built-in backends knows about it; docs/adding_a_backend.md walks
// through this same code.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "cinn/backends/backend.h"
#include "cinn/backends/c/codegen_c.h"
#include "cinn/backends/host_cc.h"
#include "cinn/backends/schedule_common.h"
#include "cinn/common/error.h"
#include "cinn/frontend/compile.h"
#include "cinn/runtime/artifact.h"

namespace cinn {
namespace {

// Step 1 of the guide: the Backend.
class CSourceBackend final : public backends::Backend {
 public:
  std::string name() const override { return "c_source"; }

  // Default schedules: intermediate spatial blocks inlined, every loop left serial.
  void schedule(ir::IRSchedule& sch, backends::KernelKind, const common::Target&,
                const backends::ScheduleParams&) const override {
    backends::inline_intermediates(sch, nullptr);
  }

  std::vector<backends::TuningKnob> tuning_knobs(backends::KernelKind, const common::Target&) const override {
    return {};
  }

  // The C printer prints scalar code and calls libm.
  backends::LoopOptions loop_options(const backends::CodegenOptions& options) const override {
    backends::LoopOptions lo;
    lo.vectorize = false;
    lo.lower_math = false;
    lo.dump_dir = options.dump_dir;
    return lo;
  }

  // C99 -> cc -shared -> a "host-so" image, which the runtime already knows how to load,
  // save and reload.
  backends::CompiledModule compile(const ir::Module& module, const backends::CodegenOptions& options) const override {
    std::string source = backends::c::codegen_c(module);
    std::string opt = options.opt_level > 0 ? "-O2" : "-O0";
    std::string library = backends::link_host_library({{"kernels.c", source}}, {opt, "-std=c99", "-fwrapv", "-fPIC"});
    std::vector<std::string> names;
    for (const ir::LoweredFunc& f : module.functions) names.push_back(f.name());
    backends::CompiledModule out;
    out.source = source;
    out.module = runtime::load_module(runtime::host_so_image(library, names));
    return out;
  }
};

// Step 2: register it once, before compiling for it.
void register_c_source_backend() {
  static bool once = [] {
    backends::register_backend(std::make_shared<CSourceBackend>());
    return true;
  }();
  (void)once;
}

// Step 3: a target that names it.
common::Target c_source_target() {
  common::Target t;  // an x86 host: the kernels run in this process
  t.backend = "c_source";
  return t;
}

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

// softmax (a reduction fused with elementwise ops), matmul + bias + relu and a column sum.
frontend::Program test_program() {
  frontend::NetBuilder b("extra_backend");
  frontend::Value* x = b.input({8, 33}, common::Float(32), "x");
  frontend::Value* w = b.input({33, 5}, common::Float(32), "w");
  frontend::Value* bias = b.input({5}, common::Float(32), "bias");
  frontend::Value* sm = b.softmax(x);
  frontend::Value* mm = b.relu(b.add(b.matmul(x, w), bias));
  frontend::Value* col = b.sum(x, {0});
  return b.build({sm, mm, col});
}

std::vector<std::vector<float>> run(const runtime::Executable& exe, const std::vector<std::vector<float>>& in) {
  std::vector<std::vector<float>> out(exe.num_outputs());
  std::vector<void*> out_ptrs;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].resize(static_cast<size_t>(exe.output(i).bytes()) / sizeof(float));
    out_ptrs.push_back(out[i].data());
  }
  std::vector<const void*> in_ptrs;
  for (const auto& v : in) in_ptrs.push_back(v.data());
  exe.run(in_ptrs, out_ptrs);
  return out;
}

void expect_close(const std::vector<std::vector<float>>& got, const std::vector<std::vector<float>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), want[i].size());
    for (size_t j = 0; j < got[i].size(); ++j) {
      ASSERT_NEAR(got[i][j], want[i][j], 1e-5f + 1e-5f * std::fabs(want[i][j])) << "output " << i << " [" << j << "]";
    }
  }
}

TEST(ExtraBackend, CSourceBackendCompilesAndRunsAGraph) {
  register_c_source_backend();
  frontend::CompileOptions opts;
  opts.cache = false;
  frontend::Program p = test_program();
  auto c = frontend::compile(p, c_source_target(), opts);
  auto ref = frontend::compile(p, common::Target::host_x86(), opts);
  // The generated code is the C backend's.
  EXPECT_NE(c->source.find("#include <math.h>"), std::string::npos) << c->source;
  EXPECT_EQ(c->target.rfind("c_source:", 0), 0u) << c->target;

  std::vector<std::vector<float>> in = {random_floats(8 * 33, 1), random_floats(33 * 5, 2), random_floats(5, 3)};
  expect_close(run(*c->executable, in), run(*ref->executable, in));
}

TEST(ExtraBackend, ItsExecutablesSaveAndLoadLikeTheBuiltInOnes) {
  register_c_source_backend();
  frontend::CompileOptions opts;
  opts.cache = false;
  auto c = frontend::compile(test_program(), c_source_target(), opts);
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "cinn_extra_backend_artifact";
  std::filesystem::remove_all(dir);
  runtime::save_executable(*c->executable, dir.string(), c_source_target().to_string());
  std::string target;
  std::shared_ptr<runtime::Executable> loaded = runtime::load_executable(dir.string(), &target);
  EXPECT_EQ(target, c_source_target().to_string());
  std::vector<std::vector<float>> in = {random_floats(8 * 33, 4), random_floats(33 * 5, 5), random_floats(5, 6)};
  expect_close(run(*loaded, in), run(*c->executable, in));
  std::filesystem::remove_all(dir);
}

TEST(ExtraBackend, ANameIsRegisteredOnce) {
  register_c_source_backend();
  auto names = backends::registered_backends();
  EXPECT_NE(std::find(names.begin(), names.end(), "c_source"), names.end());
  try {
    backends::register_backend(std::make_shared<CSourceBackend>());
    FAIL() << "registering a second 'c_source' backend succeeded";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("'c_source' is already registered"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cinn
