// Helpers shared by the op definitions in hlir/ops/.
#pragma once

#include <string>
#include <vector>

#include "cinn/hlir/builder.h"
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

// float16 / bfloat16 sums (and products) accumulate in float32, as PyTorch's do: a running
// float16 sum of a few hundred terms loses most of its digits. The type a reduction of `t`
// values accumulates in, and a term of it (`e` cast to that type).
common::Type accumulator_type(common::Type t);
Expr widened(const Expr& e, common::Type t);
// The accumulator's name (`<name>_f32` when widened), and `acc` cast back to `t` as the
// result `name` (an elementwise block: the schedules fuse it as an epilogue), or `acc`
// itself when it has type `t`.
std::string accumulator_name(const std::string& name, common::Type t);
lang::Tensor narrowed(const lang::Tensor& acc, common::Type t, const Shape& shape, const std::string& name);

// Normalized, sorted, unique axes; [] means all axes. ShapeError on out-of-range axes.
std::vector<int64_t> normalize_axes(const OpCall& call, const std::vector<int64_t>& axes,
                                    int64_t rank);

// ---- Helpers of the reverse-mode (VJP) rules registered with each op (OpInfo::vjp; the
// autodiff driver is frontend/autodiff.h). A rule returns one gradient per input, null for
// an input that gets none: an integer index, or a zero gradient (floor, compare, ...).

// The OpCall of a graph node: a rule reuses the op's own attribute parsing through it.
OpCall node_call(const Node& n);
// The reverse of numpy broadcasting: g summed over the axes broadcasting added or stretched,
// so that it has `shape` (g's shape must be a broadcast of `shape`).
Value* sum_to(Builder& b, Value* g, const Shape& shape);
// The adjoint of a strided slice of one axis: v's elements placed at start + i * stride of
// an axis of `extent`, zeros elsewhere (pad with interior padding; a negative amount after
// crops what runs past the end).
Value* unslice(Builder& b, Value* v, int64_t axis, int64_t start, int64_t stride, int64_t extent);
// v reversed along `axis` (a slice with stride -1).
Value* reversed(Builder& b, Value* v, int64_t axis);
// The rule of ops whose results carry no gradient back (comparisons, argmax, iota, ...).
VJPFn no_gradient();

}  // namespace cinn::hlir::ops
