#include "cinn/auto_schedule/cost_model.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <string>

#include "cinn/common/error.h"

namespace cinn::auto_schedule {
namespace {

void check(int rc, const char* what) {
  if (rc != 0)
    CINN_THROW(CompileError) << "cost model: " << what << " failed: " << XGBGetLastError();
}

// A dense matrix of `rows`, padded with zeros to `width` columns.
struct Matrix {
  DMatrixHandle h = nullptr;
  Matrix(const std::vector<std::vector<float>>& rows, size_t width) {
    std::vector<float> data(rows.size() * width, 0.0f);
    for (size_t i = 0; i < rows.size(); ++i) {
      std::copy(rows[i].begin(), rows[i].begin() + std::min(rows[i].size(), width),
                data.begin() + i * width);
    }
    check(XGDMatrixCreateFromMat(data.data(), rows.size(), width, -1e30f, &h),
          "XGDMatrixCreateFromMat");
  }
  ~Matrix() { XGDMatrixFree(h); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
};

}  // namespace

struct CostModel::Impl {
  BoosterHandle booster = nullptr;
  size_t width = 0;
  ~Impl() {
    if (booster) XGBoosterFree(booster);
  }
};

CostModel::CostModel() : impl_(std::make_unique<Impl>()) {}
CostModel::~CostModel() = default;

bool CostModel::trained() const { return impl_->booster != nullptr; }

void CostModel::train(const std::vector<std::vector<float>>& features,
                      const std::vector<float>& speedups) {
  CINN_CHECK(features.size() == speedups.size() && !features.empty());
  size_t width = 0;
  for (const auto& r : features) width = std::max(width, r.size());
  Matrix m(features, width);
  check(XGDMatrixSetFloatInfo(m.h, "label", speedups.data(), speedups.size()),
        "XGDMatrixSetFloatInfo");
  BoosterHandle raw = nullptr;
  check(XGBoosterCreate(&m.h, 1, &raw), "XGBoosterCreate");
  // Freed on an error below; released to impl_ at the end.
  std::unique_ptr<void, int (*)(BoosterHandle)> b(raw, XGBoosterFree);
  auto set = [&](const char* k, const char* v) {
    check(XGBoosterSetParam(b.get(), k, v), "XGBoosterSetParam");
  };
  // Small trees and data: one thread (the measurements own the cores), shallow trees.
  set("nthread", "1");
  set("max_depth", "6");
  set("eta", "0.3");
  set("min_child_weight", "1");
  set("objective", "reg:squarederror");
  set("verbosity", "0");
  for (int i = 0; i < 40; ++i)
    check(XGBoosterUpdateOneIter(b.get(), i, m.h), "XGBoosterUpdateOneIter");
  if (impl_->booster) XGBoosterFree(impl_->booster);
  impl_->booster = b.release();
  impl_->width = width;
}

std::vector<float> CostModel::predict(const std::vector<std::vector<float>>& features) const {
  if (!impl_->booster) CINN_THROW(CompileError) << "cost model: predict before train";
  if (features.empty()) return {};
  Matrix m(features, impl_->width);
  bst_ulong n = 0;
  const float* out = nullptr;
  check(XGBoosterPredict(impl_->booster, m.h, 0, 0, 0, &n, &out), "XGBoosterPredict");
  return std::vector<float>(out, out + n);
}

}  // namespace cinn::auto_schedule
