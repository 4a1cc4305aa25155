// Helpers shared by the op definitions in hlir/ops/.
#pragma once

#include <string>
#include <vector>

#include "cinn/hlir/op.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/lang/reduce.h"

namespace cinn::hlir::ops {

using ir::Expr;

std::vector<Expr> to_exprs(const Shape& s);

// Shape rule: every input has the shape of input 0 (ShapeError naming the op otherwise).
std::vector<Shape> same_shape(const OpCall& call);
// DType rule check: every input has the dtype of input 0.
void check_same_dtype(const OpCall& call);
// DType rules.
std::vector<common::Type> same_dtype(const OpCall& call);
std::vector<common::Type> bool_dtype(const OpCall& call);
// DType check: input 0 is a float (DTypeError naming the op otherwise).
void require_float(const OpCall& call);

// A one-result compute over the result's shape: body(inputs, axes).
using ElementFn = std::function<Expr(const std::vector<lang::Tensor>&, const std::vector<Expr>&)>;
ComputeFn elementwise_compute(ElementFn body);

// Normalized, sorted, unique axes; [] means all axes. ShapeError on out-of-range axes.
std::vector<int64_t> normalize_axes(const OpCall& call, const std::vector<int64_t>& axes,
                                    int64_t rank);

}  // namespace cinn::hlir::ops
