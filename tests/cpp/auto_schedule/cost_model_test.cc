// auto_schedule/cost_model: the XGBoost model learns a ranking from features, and rows of
// different lengths are padded.
#include "cinn/auto_schedule/cost_model.h"

#include <gtest/gtest.h>

#include <random>

#include "cinn/common/error.h"

namespace cinn::auto_schedule {
namespace {

TEST(CostModel, RanksByALearnedFunction) {
  CostModel m;
  EXPECT_FALSE(m.trained());
  EXPECT_THROW(m.predict({{1.0f}}), CompileError);
  // Speedup peaks at feature 0 == 3 and ignores feature 1.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.0f, 6.0f);
  std::vector<std::vector<float>> x;
  std::vector<float> y;
  for (int i = 0; i < 200; ++i) {
    float a = u(rng), b = u(rng);
    x.push_back({a, b});
    y.push_back(4.0f - (a - 3.0f) * (a - 3.0f) / 3.0f);
  }
  m.train(x, y);
  ASSERT_TRUE(m.trained());
  std::vector<float> p = m.predict({{3.0f, 1.0f}, {0.2f, 1.0f}, {5.8f, 5.0f}, {3.1f}});
  ASSERT_EQ(p.size(), 4u);
  EXPECT_GT(p[0], p[1] + 1.0f);
  EXPECT_GT(p[0], p[2] + 1.0f);
  EXPECT_NEAR(p[0], 4.0f, 0.5f);
  EXPECT_NEAR(p[3], p[0], 0.5f);  // the missing column reads as 0, which the model ignores
}

}  // namespace
}  // namespace cinn::auto_schedule
