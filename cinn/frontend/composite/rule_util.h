// Helpers shared by the composite decomposition rules (frontend/composite/*.cc).
//
// A rule receives its inputs as already-validated values and its attributes completed
// with defaults; what the registry cannot check (an attribute against a shape, an index
// dtype) the rule checks with these helpers, which throw errors naming the composite op.
#pragma once

#include <string>
#include <vector>

#include "cinn/frontend/net_builder.h"

namespace cinn::frontend::composite {

using hlir::AttrMap;
using hlir::Shape;
using Values = std::vector<Value*>;
using Ints = std::vector<int64_t>;

// RULE_THROW("group_norm", ShapeError) << "...": an error prefixed with "op '<name>': ".
#define RULE_THROW(op, E) CINN_THROW(E) << "op '" << (op) << "': "

template <typename T>
const T& attr(const AttrMap& a, const char* name) {
  return hlir::get_attr<T>(a, name);
}

inline int64_t rank(const Value* v) { return static_cast<int64_t>(v->shape().size()); }

using hlir::normalize_axes;  // (op, axes, rank): sorted, unique, non-negative; [] = all
using hlir::normalize_axis;  // (op, axis, rank): in [-rank, rank), made non-negative
// The number of elements of `shape` over `axes` (normalized).
int64_t count_over(const Shape& shape, const Ints& axes);

// A scalar constant of `like`'s dtype; binary ops broadcast it.
Value* scalar(NetBuilder& b, double value, Value* like);
// A 1-D value [n] reshaped to lie along axis `axis` of a rank-`rank` tensor: [C] becomes
// [C, 1, 1] for axis 1 of rank 4, so that it broadcasts against NCHW.
Value* along_axis(NetBuilder& b, Value* v, int64_t axis, int64_t rank);

// log(1 + u), accurate for tiny u too (Kahan: w = 1 + u; w == 1 ? u : log(w) * u / (w - 1)),
// there being no log1p primitive.
Value* log1p(NetBuilder& b, Value* u);

void require_float(const std::string& op, const Value* v, const char* what);
void require_int(const std::string& op, const Value* v, const char* what);  // int32/int64
// A pair attribute [h, w] from one or two entries (a single k means [k, k]).
Ints pair_of(const std::string& op, const char* name, const Ints& v);

// The loss reductions: "none" keeps the elementwise loss, "sum" and "mean" reduce it to a
// scalar (shape []); anything else is an Error naming the op.
void check_reduction(const std::string& op, const std::string& reduction);
Value* reduce_loss(NetBuilder& b, Value* loss, const std::string& reduction);

}  // namespace cinn::frontend::composite
