#include "cinn/frontend/composite/rule_util.h"

#include <algorithm>

namespace cinn::frontend::composite {

int64_t count_over(const Shape& shape, const Ints& axes) {
  int64_t n = 1;
  for (auto a : axes) n *= shape[a];
  return n;
}

Value* scalar(NetBuilder& b, double value, Value* like) {
  return b.scalar(value, like->dtype());
}

Value* along_axis(NetBuilder& b, Value* v, int64_t axis, int64_t rank) {
  Ints shape(static_cast<size_t>(rank), 1);
  shape[axis] = v->shape().at(0);
  return b.reshape(v, shape);
}

Value* log1p(NetBuilder& b, Value* u) {
  Value* one = scalar(b, 1.0, u);
  Value* w = b.add(one, u);
  Value* exact = b.compare(w, one, "eq");
  // The ratio's arm reads w = 2 where it is not selected, so that it stays finite there:
  // its gradient (zero, but multiplied by 1 / (w - 1)) would otherwise be NaN.
  Value* safe = b.select(exact, b.full(w->type, 2.0), w);
  Value* ratio = b.div(b.mul(b.log(safe), u), b.sub(safe, one));
  return b.select(exact, u, ratio);
}

void require_float(const std::string& op, const Value* v, const char* what) {
  if (!v->dtype().is_float()) {
    RULE_THROW(op, DTypeError) << what << " must be a floating-point tensor, got "
                               << v->type.to_string();
  }
}

void require_int(const std::string& op, const Value* v, const char* what) {
  if (v->dtype() != common::Int(32) && v->dtype() != common::Int(64)) {
    RULE_THROW(op, DTypeError) << what << " must be int32 or int64, got " << v->type.to_string();
  }
}

Ints pair_of(const std::string& op, const char* name, const Ints& v) {
  if (v.size() == 1) return {v[0], v[0]};
  if (v.size() != 2) {
    RULE_THROW(op, ShapeError) << "attribute '" << name << "' must be k or [h, w], got "
                               << hlir::attr_to_string(hlir::Attr(v));
  }
  return v;
}

void check_reduction(const std::string& op, const std::string& reduction) {
  if (reduction != "none" && reduction != "mean" && reduction != "sum") {
    RULE_THROW(op, Error) << "attribute 'reduction' must be none, mean or sum; got '" << reduction
                          << "'";
  }
}

Value* reduce_loss(NetBuilder& b, Value* loss, const std::string& reduction) {
  if (reduction == "none") return loss;
  if (reduction == "sum") return b.reduce(loss, "sum");
  return b.mul(b.reduce(loss, "sum"),
               scalar(b, 1.0 / static_cast<double>(hlir::num_elements(loss->shape())), loss));
}

}  // namespace cinn::frontend::composite
