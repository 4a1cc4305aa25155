// Generated tensors without inputs: iota and constant (fill_constant is in transform.cc).
#include "cinn/hlir/ops/op_util.h"

namespace cinn::hlir::ops {
namespace {

// Element k of `d` as an immediate of d's dtype.
Expr const_element(const ConstData& d, int64_t k) {
  const common::Type& t = d.dtype;
  Expr e;
  bool known = visit_element(d, static_cast<size_t>(k), [&](auto v) {
    using T = decltype(v);
    if constexpr (std::is_same_v<T, bool>) {
      e = ir::make_const(t, v ? 1.0 : 0.0);
    } else if constexpr (std::is_floating_point_v<T>) {
      e = ir::make_const(t, v);
    } else if constexpr (std::is_signed_v<T>) {
      e = ir::IntImm::make(t, v);
    } else {
      e = ir::UIntImm::make(t, v);
    }
  });
  if (!known) CINN_THROW(UnsupportedOpError) << "op 'constant': dtype " << t << " is not supported";
  return e;
}

bool register_all() {
  OpRegistry::global()
      .add("iota")
      .describe("a tensor of `shape` whose every element is its index along `axis`")
      .inputs({})
      .required_attr("shape", AttrKind::kInts, "the result shape (rank >= 1)")
      .attr("axis", int64_t{0}, "the axis whose index is the value (negative allowed)")
      .attr("dtype", common::Int(64), "the result dtype")
      .pattern(OpPattern::kElementWise)
      .infer_shape([](const OpCall& c) {
        const auto& shape = c.attr<std::vector<int64_t>>("shape");
        c.normalize_axis(c.attr<int64_t>("axis"), static_cast<int64_t>(shape.size()));
        return std::vector<Shape>{shape};
      })
      .infer_dtype([](const OpCall& c) {
        common::Type t = c.attr<common::Type>("dtype");
        if (t.is_bool()) OP_THROW(c, DTypeError) << "dtype must be a number type, got bool";
        return std::vector<common::Type>{t};
      })
      .compute([](const ComputeCall& c) {
        int64_t rank = static_cast<int64_t>(c.outputs[0].shape.size());
        int64_t axis = c.call.normalize_axis(c.call.attr<int64_t>("axis"), rank);
        common::Type t = c.outputs[0].dtype;
        return elementwise_compute([axis, t](const auto&, const auto& axes) {
          return ir::cast(t, axes[axis]);
        })(c);
      })
      .vjp(no_gradient());

  OpRegistry::global()
      .add("constant")
      .describe("the tensor literal `value` (shape and dtype are the literal's). Literals of "
                "at most 8 elements are emitted inline as a chain of selects on the flat "
                "index; compile() keeps larger ones in constant buffers of the executable")
      .inputs({})
      .required_attr("value", AttrKind::kData, "the literal (a numpy array from Python)")
      .pattern(OpPattern::kElementWise)
      .infer_shape([](const OpCall& c) {
        return std::vector<Shape>{c.attr<ConstDataPtr>("value")->shape};
      })
      .infer_dtype([](const OpCall& c) {
        return std::vector<common::Type>{c.attr<ConstDataPtr>("value")->dtype};
      })
      .compute([](const ComputeCall& c) {
        ConstDataPtr data = c.call.attr<ConstDataPtr>("value");
        int64_t n = num_elements(data->shape);
        // compile() never lowers larger ones (they become constant buffers).
        if (n > kMaxInlineConstant) {
          OP_THROW(c.call, UnsupportedOpError)
              << "only literals of at most " << kMaxInlineConstant << " elements are emitted "
              << "inline, got " << n << " elements of shape " << shape_to_string(data->shape);
        }
        Shape shape = data->shape;
        return elementwise_compute([data, n, shape](const auto&, const auto& axes) {
          Expr flat(int64_t{0});
          for (size_t d = 0; d < shape.size(); ++d) flat = flat * Expr(shape[d]) + axes[d];
          Expr v = const_element(*data, n - 1);
          for (int64_t k = n - 1; k-- > 0;) {
            v = ir::select(flat == Expr(k), const_element(*data, k), v);
          }
          return v;
        })(c);
      })
      .vjp(no_gradient());
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
