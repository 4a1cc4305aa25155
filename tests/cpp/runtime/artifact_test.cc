// Loading an artifact checks that this CPU has the features its x86 kernels were compiled
// for (runtime::missing_cpu_features), against a host described by its Target.
#include <gtest/gtest.h>

#include "cinn/runtime/artifact.h"

namespace cinn::runtime {
namespace {

common::Target host_with(std::set<std::string> features) {
  common::Target t;
  t.features = std::move(features);
  return t;
}

TEST(Artifact, MissingCpuFeaturesOfAnX86Target) {
  const std::string avx512 = "x86(vector_bits=512, threads=2, features=avx+avx2+avx512f+fma)";
  EXPECT_EQ(missing_cpu_features(avx512, host_with({"avx", "avx2", "avx512f", "fma", "sse4.2"})), "");
  EXPECT_EQ(missing_cpu_features(avx512, host_with({"avx", "avx2", "fma"})), "avx512f");
  EXPECT_EQ(missing_cpu_features(avx512, host_with({})), "avx, avx2, avx512f, fma");
  // A vendor backend's x86 target is checked the same way.
  EXPECT_EQ(missing_cpu_features("c_source:" + avx512, host_with({"avx"})), "avx2, avx512f, fma");
}

TEST(Artifact, UndetectableFeaturesAndOtherTargetsAreNotChecked) {
  // A feature host_x86 cannot detect is never reported missing: it cannot be known.
  EXPECT_EQ(missing_cpu_features("x86(vector_bits=256, threads=1, features=avx2+amx-tile)", host_with({"avx2"})),
            "");
  EXPECT_EQ(missing_cpu_features("x86(vector_bits=128, threads=1, features=)", host_with({})), "");
  EXPECT_EQ(missing_cpu_features("cuda(sm_90)", host_with({})), "");
}

}  // namespace
}  // namespace cinn::runtime
