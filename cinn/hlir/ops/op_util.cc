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

common::Type accumulator_type(common::Type t) {
  return t.is_float() && t.bits() == 16 ? common::Float(32) : t;
}

Expr widened(const Expr& e, common::Type t) { return ir::cast(accumulator_type(t), e); }

std::string accumulator_name(const std::string& name, common::Type t) {
  return accumulator_type(t) == t ? name : name + "_f32";
}

lang::Tensor narrowed(const lang::Tensor& acc, common::Type t, const Shape& shape, const std::string& name) {
  if (acc.dtype() == t) return acc;
  return lang::compute(
      to_exprs(shape), [&](const std::vector<Expr>& i) { return ir::cast(t, acc(i)); }, name);
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

OpCall node_call(const Node& n) {
  std::vector<TensorType> types;
  for (const Value* v : n.inputs) types.push_back(v->type);
  return OpCall{*n.op, std::move(types), n.attrs};
}

Value* sum_to(Builder& b, Value* g, const Shape& shape) {
  const Shape& gs = g->shape();
  if (gs == shape) return g;
  CINN_CHECK(gs.size() >= shape.size()) << shape_to_string(gs) << " to " << shape_to_string(shape);
  size_t lead = gs.size() - shape.size();
  std::vector<int64_t> axes;
  for (size_t d = 0; d < gs.size(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && gs[d] != 1)) axes.push_back(static_cast<int64_t>(d));
  }
  Value* s = axes.empty() ? g
                          : b.call1("reduce", {g}, {{"kind", std::string("sum")}, {"axis", axes}, {"keepdim", true}});
  return s->shape() == shape ? s : b.call1("reshape", {s}, {{"shape", shape}});
}

Value* unslice(Builder& b, Value* v, int64_t axis, int64_t start, int64_t stride, int64_t extent) {
  size_t rank = v->shape().size();
  int64_t n = v->shape()[axis];
  std::vector<int64_t> pads(2 * rank, 0), interior(rank, 0);
  pads[2 * axis] = start;
  pads[2 * axis + 1] = extent - start - ((n - 1) * stride + 1);
  interior[axis] = stride - 1;
  return b.call1("pad", {v}, {{"pads", pads}, {"interior", interior}});
}

Value* reversed(Builder& b, Value* v, int64_t axis) {
  int64_t n = v->shape()[static_cast<size_t>(axis)];
  return b.call1("slice", {v}, {{"axes", std::vector<int64_t>{axis}},
                                {"starts", std::vector<int64_t>{n - 1}},
                                {"ends", std::vector<int64_t>{-n - 1}},
                                {"strides", std::vector<int64_t>{-1}}});
}

VJPFn no_gradient() {
  return [](Builder&, const Node& n, const std::vector<Value*>&) {
    return std::vector<Value*>(n.inputs.size(), nullptr);
  };
}

}  // namespace cinn::hlir::ops
