// Compilation targets.
//
// A Target is a value: an architecture descriptor plus options. Op definitions never branch
// on it; backends read it to pick codegen, vector widths and default schedules.
#pragma once

#include <set>
#include <string>

namespace cinn::common {

struct Target {
  enum class Arch { kX86, kNVGPU };

  Arch arch = Arch::kX86;
  // The registered backend that compiles for this target (backends/backend.h): "x86" and
  // "cuda" are built in; a vendor backend registers its own name.
  std::string backend = "x86";

  // x86: widest usable vector register in bits (512 with AVX-512F, 256 with AVX2, else 128),
  // and the CPU features by their LLVM names ("avx2", "avx512f", "fma", ...).
  int vector_bits = 128;
  std::set<std::string> features;
  // Worker threads used by parallel loops; 0 means one per hardware thread.
  int num_threads = 0;

  // NVIDIA GPU (filled by the CUDA backend): sm version, limits.
  int sm_version = 0;
  int max_threads_per_block = 0;
  int max_shared_memory_per_block = 0;
  int warp_size = 0;

  // The host CPU, with its features detected through cpuid (backend "x86").
  static Target host_x86();
  // The x86 features host_x86 detects (a feature outside this list is never in its set).
  static std::set<std::string> detectable_x86_features();
  // A CUDA descriptor for the given sm version (90 when unknown; backend "cuda").
  static Target cuda(int sm_version = 90);

  bool has_feature(const std::string& f) const { return features.count(f) > 0; }
  // Number of lanes of the widest vector register for elements of `bits` bits.
  int vector_lanes(int bits) const { return vector_bits / bits; }

  std::string to_string() const;
  bool operator==(const Target& o) const;
  bool operator!=(const Target& o) const { return !(*this == o); }
};

}  // namespace cinn::common

namespace cinn {
using common::Target;
}
