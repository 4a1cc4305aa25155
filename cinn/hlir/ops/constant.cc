// Generated tensors: iota, constant and random_uniform (fill_constant is in transform.cc).
#include "cinn/hlir/ops/op_util.h"
#include "cinn/ir/intrinsics.h"

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

constexpr int64_t kRngStreams = 65536;

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

  // Philox streams: the counter's high word is key[1] * kRngStreams + rng_stream, so every
  // (step, random op) pair of a program draws from its own counter range.
  OpRegistry::global()
      .add("random_uniform")
      .describe("uniform float numbers in [0, 1) of `shape`, counter-based (Philox4x32-10): "
                "element i (row-major) is philox_uniform(key[0], key[1] * 65536 + "
                "rng_stream, i). The same key gives the same numbers on every target; "
                "advance key[1] for new ones. Numbers have 24 random bits")
      .inputs({"key"})
      .required_attr("shape", AttrKind::kInts, "the result shape")
      .attr("dtype", common::Float(32), "the result dtype (a float type)")
      .attr("rng_stream", int64_t{-1},
            "the op's stream in [0, 65536); -1 (default) takes the smallest number above "
            "those of the graph's other random ops")
      .pattern(OpPattern::kBroadcast)
      .infer_shape([](const OpCall& c) {
        const TensorType& key = c.inputs[0];
        if (key.shape != Shape{2}) {
          OP_THROW(c, ShapeError) << "key must have shape [2] (seed, step), got "
                                  << key.to_string();
        }
        int64_t stream = c.attr<int64_t>("rng_stream");
        if (stream < 0 || stream >= kRngStreams) {
          OP_THROW(c, Error) << "rng_stream must be in [0, " << kRngStreams << "), got " << stream;
        }
        return std::vector<Shape>{c.attr<std::vector<int64_t>>("shape")};
      })
      .infer_dtype([](const OpCall& c) {
        if (c.inputs[0].dtype != common::Int(64)) {
          OP_THROW(c, DTypeError) << "key must be int64, got " << c.inputs[0].to_string();
        }
        common::Type t = c.attr<common::Type>("dtype");
        if (!t.is_float()) OP_THROW(c, DTypeError) << "dtype must be a float type, got " << t;
        return std::vector<common::Type>{t};
      })
      .compute([](const ComputeCall& c) {
        Shape shape = c.outputs[0].shape;
        common::Type t = c.outputs[0].dtype;
        int64_t stream = c.call.attr<int64_t>("rng_stream");
        return elementwise_compute([shape, t, stream](const auto& in, const auto& axes) {
          const common::Type i64 = common::Int(64);
          Expr flat = ir::make_const(i64, 0);
          for (size_t d = 0; d < shape.size(); ++d) {
            flat = flat * ir::make_const(i64, static_cast<double>(shape[d])) + ir::cast(i64, axes[d]);
          }
          Expr seed = in[0](std::vector<Expr>{ir::make_const(common::IndexType(), 0)});
          Expr step = in[0](std::vector<Expr>{ir::make_const(common::IndexType(), 1)});
          Expr counter = step * ir::make_const(i64, kRngStreams) + ir::make_const(i64, stream);
          return ir::cast(t, ir::make_intrinsic(ir::kPhiloxUniform, {seed, counter, flat}));
        })(c);
      })
      .vjp(no_gradient());
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
