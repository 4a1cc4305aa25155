#include "cinn/common/target.h"

#include <gtest/gtest.h>

namespace cinn::common {

TEST(Target, HostX86DetectsVectorWidthFromFeatures) {
  Target t = Target::host_x86();
  EXPECT_EQ(t.arch, Target::Arch::kX86);
  EXPECT_GE(t.num_threads, 1);
  if (t.has_feature("avx512f")) {
    EXPECT_EQ(t.vector_bits, 512);
    EXPECT_EQ(t.vector_lanes(32), 16);
  } else if (t.has_feature("avx2")) {
    EXPECT_EQ(t.vector_bits, 256);
  }
  EXPECT_NE(t.to_string().find("x86"), std::string::npos);
}

TEST(Target, CudaDescriptor) {
  Target t = Target::cuda(80);
  EXPECT_EQ(t.arch, Target::Arch::kNVGPU);
  EXPECT_EQ(t.sm_version, 80);
  EXPECT_EQ(t.warp_size, 32);
  EXPECT_NE(t, Target::host_x86());
}

}  // namespace cinn::common
