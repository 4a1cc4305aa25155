#include "cinn/auto_schedule/measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "cinn/backends/build.h"
#include "cinn/common/error.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/transforms.h"

namespace cinn::auto_schedule {
namespace {

// Random bytes of a buffer of `t`, as described in measure.h.
std::vector<unsigned char> random_data(common::Type t, int64_t n, std::mt19937& rng) {
  std::vector<unsigned char> out(static_cast<size_t>(n * t.bytes()), 0);
  if (!t.is_float()) return out;
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::uniform_int_distribution<int> mant(0, 1023);
  for (int64_t i = 0; i < n; ++i) {
    unsigned char* p = out.data() + i * t.bytes();
    if (t.bits() == 32) {
      float v = u(rng);
      std::memcpy(p, &v, 4);
    } else if (t.bits() == 64) {
      double v = u(rng);
      std::memcpy(p, &v, 8);
    } else if (t.code() == common::Type::Code::kBFloat) {
      uint16_t v = static_cast<uint16_t>(0x3F00 | (mant(rng) & 0x7F) | (mant(rng) & 1) << 15);
      std::memcpy(p, &v, 2);
    } else {
      uint16_t v = static_cast<uint16_t>(0x3800 | (mant(rng) & 0x3FF) | (mant(rng) & 1) << 15);
      std::memcpy(p, &v, 2);
    }
  }
  return out;
}

}  // namespace

Measurement measure(const ir::LoweredFunc& scheduled, const common::Target& target,
                    const backends::CodegenOptions& codegen, const MeasureOptions& options) {
  Measurement m;
  try {
    // As the graph compiler builds a kernel (frontend/compile.cc): the loop passes, global
    // intermediates as arguments (the executable's memory plan provides them there), codegen.
    const backends::Backend& backend = backends::backend_for(target);
    ir::LoweredFunc lowered = ir::global_temps_to_args(
        backends::lower_to_loops(scheduled, backend.loop_options(codegen)));
    backends::CompiledModule code =
        backend.compile(ir::Module{scheduled.name(), target, {lowered}}, codegen);
    runtime::KernelModule& mod = *code.module;
    runtime::Device& dev = mod.device();
    int index = mod.find(lowered.name());

    std::mt19937 rng(12345);
    runtime::DeviceBuffers args(dev);
    for (const ir::Argument& a : lowered.args()) {
      int64_t n = 1;
      for (const ir::Expr& d : a.buffer.shape()) {
        const int64_t* c = ir::as_const_int(d);
        if (!c) {
          CINN_THROW(CompileError)
              << "measure: kernel '" << scheduled.name() << "' argument '" << a.buffer.name()
              << "' has a symbolic shape; tuning needs static shapes";
        }
        n *= *c;
      }
      std::vector<unsigned char> data = random_data(a.buffer.dtype(), n, rng);
      void* buffer = args.alloc(std::max<int64_t>(static_cast<int64_t>(data.size()), 1));
      if (dev.is_host()) {
        std::memcpy(buffer, data.data(), data.size());
      } else {
        dev.copy(buffer, data.data(), static_cast<int64_t>(data.size()),
                 runtime::Device::Copy::kHostToDevice);
      }
    }
    using clock = std::chrono::steady_clock;
    auto run = [&](int times) {
      auto t0 = clock::now();
      for (int i = 0; i < times; ++i) mod.launch(index, args.data(), nullptr);
      dev.synchronize();
      return std::chrono::duration<double>(clock::now() - t0).count();
    };
    run(1);  // warm-up: page faults, module loading, caches
    // Runs per repetition so that one lasts min_seconds, from a warm run.
    double once = run(1);
    int number = static_cast<int>(
        std::clamp(std::ceil(options.min_seconds / std::max(once, 1e-9)), 1.0, 1e6));
    double best = once;
    for (int r = 0; r < std::max(options.repeat, 1); ++r)
      best = std::min(best, run(number) / number);
    m.seconds = best;
  } catch (const Error& e) {
    m.error = e.what();
  }
  return m;
}

}  // namespace cinn::auto_schedule
