#include "cinn/common/target.h"

#include <sstream>
#include <thread>
#include <vector>

namespace cinn::common {

namespace {

// Names follow LLVM's feature strings so the LLVM backend can pass them through.
struct Feature {
  const char* llvm_name;
  bool present;
};

std::vector<Feature> x86_features() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return {
      {"sse4.2", static_cast<bool>(__builtin_cpu_supports("sse4.2"))},
      {"avx", static_cast<bool>(__builtin_cpu_supports("avx"))},
      {"avx2", static_cast<bool>(__builtin_cpu_supports("avx2"))},
      {"fma", static_cast<bool>(__builtin_cpu_supports("fma"))},
      {"avx512f", static_cast<bool>(__builtin_cpu_supports("avx512f"))},
      {"avx512bw", static_cast<bool>(__builtin_cpu_supports("avx512bw"))},
      {"avx512vl", static_cast<bool>(__builtin_cpu_supports("avx512vl"))},
      {"avx512dq", static_cast<bool>(__builtin_cpu_supports("avx512dq"))},
      {"avx512vnni", static_cast<bool>(__builtin_cpu_supports("avx512vnni"))},
  };
#else
  return {};
#endif
}

}  // namespace

std::set<std::string> Target::detectable_x86_features() {
  std::set<std::string> names;
  for (const auto& f : x86_features()) names.insert(f.llvm_name);
  return names;
}

Target Target::host_x86() {
  Target t;
  t.arch = Arch::kX86;
  for (const auto& f : x86_features()) {
    if (f.present) t.features.insert(f.llvm_name);
  }
  if (t.has_feature("avx512f")) {
    t.vector_bits = 512;
  } else if (t.has_feature("avx2") || t.has_feature("avx")) {
    t.vector_bits = 256;
  }
  unsigned hw = std::thread::hardware_concurrency();
  t.num_threads = hw == 0 ? 1 : static_cast<int>(hw);
  return t;
}

Target Target::cuda(int sm_version) {
  Target t;
  t.arch = Arch::kNVGPU;
  t.backend = "cuda";
  t.sm_version = sm_version;
  t.max_threads_per_block = 1024;
  t.max_shared_memory_per_block = 48 * 1024;
  t.warp_size = 32;
  t.vector_bits = 128;
  return t;
}

std::string Target::to_string() const {
  std::ostringstream os;
  bool builtin = backend == (arch == Arch::kX86 ? "x86" : "cuda");
  if (!builtin) os << backend << ":";
  if (arch == Arch::kX86) {
    os << "x86(vector_bits=" << vector_bits << ", threads=" << num_threads << ", features=";
    bool first = true;
    for (const auto& f : features) {
      os << (first ? "" : "+") << f;
      first = false;
    }
    os << ")";
  } else {
    os << "cuda(sm_" << sm_version << ")";
  }
  return os.str();
}

bool Target::operator==(const Target& o) const {
  return arch == o.arch && backend == o.backend && vector_bits == o.vector_bits && features == o.features &&
         num_threads == o.num_threads && sm_version == o.sm_version;
}

}  // namespace cinn::common
