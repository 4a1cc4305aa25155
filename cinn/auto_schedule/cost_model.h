// The cost model of the search: gradient-boosted trees (XGBoost) from a candidate's
// features (features.h) to its speed relative to its task's default schedule. It ranks the
// candidates not yet measured; only measured candidates train it.
#pragma once

#include <memory>
#include <vector>

namespace cinn::auto_schedule {

class CostModel {
 public:
  CostModel();
  ~CostModel();
  CostModel(const CostModel&) = delete;
  CostModel& operator=(const CostModel&) = delete;

  // Retrains from scratch on every sample so far. Rows may differ in length (tasks of
  // other kinds have other knobs); they are padded with zeros to the longest.
  void train(const std::vector<std::vector<float>>& features, const std::vector<float>& speedups);
  bool trained() const;
  // Predicted speedups (higher is better). CompileError when called before train().
  std::vector<float> predict(const std::vector<std::vector<float>>& features) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cinn::auto_schedule
