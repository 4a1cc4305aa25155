#include "cinn/hlir/ops/op_util.h"

#include <algorithm>

namespace cinn::hlir::ops {

std::vector<Expr> to_exprs(const Shape& s) {
  std::vector<Expr> out;
  for (auto d : s) out.push_back(Expr(d));
  return out;
}

std::vector<Shape> same_shape(const OpCall& call) {
  for (size_t i = 1; i < call.inputs.size(); ++i) {
    if (call.inputs[i].shape != call.inputs[0].shape) {
      OP_THROW(call, ShapeError) << "operand " << i << " has shape "
                                 << shape_to_string(call.inputs[i].shape) << ", expected "
                                 << shape_to_string(call.inputs[0].shape);
    }
  }
  return {call.inputs[0].shape};
}

void check_same_dtype(const OpCall& call) {
  for (size_t i = 1; i < call.inputs.size(); ++i) {
    if (call.inputs[i].dtype != call.inputs[0].dtype) {
      OP_THROW(call, DTypeError) << "operand " << i << " is " << call.inputs[i].dtype
                                 << ", expected " << call.inputs[0].dtype
                                 << " like operand 0; cast it first";
    }
  }
}

std::vector<common::Type> same_dtype(const OpCall& call) {
  check_same_dtype(call);
  return {call.inputs[0].dtype};
}

std::vector<common::Type> bool_dtype(const OpCall& call) {
  check_same_dtype(call);
  return {common::Bool()};
}

void require_float(const OpCall& call) {
  if (!call.inputs[0].dtype.is_float()) {
    OP_THROW(call, DTypeError) << "expects a floating-point input, got "
                               << call.inputs[0].dtype << "; cast it first";
  }
}

ComputeFn elementwise_compute(ElementFn body) {
  return [body](const ComputeCall& c) {
    const auto& ins = c.inputs;
    lang::Tensor t = lang::compute(
        to_exprs(c.outputs[0].shape),
        [&](const std::vector<Expr>& axes) { return body(ins, axes); }, c.output_names[0]);
    return std::vector<lang::Tensor>{t};
  };
}

std::vector<int64_t> normalize_axes(const OpCall& call, const std::vector<int64_t>& axes,
                                    int64_t rank) {
  return hlir::normalize_axes(call.op.name, axes, rank);
}

}  // namespace cinn::hlir::ops
