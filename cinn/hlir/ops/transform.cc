// Layout primitives: broadcast_to, reshape, transpose; fill_constant.
#include <numeric>

#include "cinn/hlir/ops/op_util.h"

namespace cinn::hlir::ops {
namespace {

// Row-major flat index of `idx` in `shape`, and back.
Expr flatten_index(const std::vector<Expr>& idx, const Shape& shape) {
  Expr flat(int64_t{0});
  for (size_t d = 0; d < shape.size(); ++d) flat = flat * Expr(shape[d]) + idx[d];
  return flat;
}
std::vector<Expr> unflatten_index(Expr flat, const Shape& shape) {
  std::vector<Expr> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = d == 0 ? flat : flat % Expr(shape[d]);
    flat = flat / Expr(shape[d]);
  }
  return idx;
}

bool register_all() {
  OpRegistry::global()
      .add("broadcast_to")
      .describe("x broadcast to `shape` by numpy rules (x's axes align with the last ones)")
      .inputs({"x"})
      .required_attr("shape", AttrKind::kInts, "the result shape")
      .pattern(OpPattern::kBroadcast)
      .infer_shape([](const OpCall& c) {
        const auto& in = c.inputs[0].shape;
        const auto& out = c.attr<std::vector<int64_t>>("shape");
        bool ok = in.size() <= out.size();
        for (size_t i = 0; ok && i < in.size(); ++i) {
          int64_t o = out[out.size() - in.size() + i];
          ok = in[i] == o || in[i] == 1;
        }
        if (!ok) {
          OP_THROW(c, ShapeError) << "cannot broadcast " << shape_to_string(in) << " to "
                                  << shape_to_string(out);
        }
        return std::vector<Shape>{out};
      })
      .compute([](const ComputeCall& c) {
        Shape in = c.call.inputs[0].shape;
        size_t off = c.outputs[0].shape.size() - in.size();
        return elementwise_compute([in, off](const auto& ins, const auto& axes) {
          std::vector<Expr> idx;
          for (size_t d = 0; d < in.size(); ++d) {
            idx.push_back(in[d] == 1 ? Expr(int64_t{0}) : axes[off + d]);
          }
          return ins[0](idx);
        })(c);
      });

  OpRegistry::global()
      .add("reshape")
      .describe("x with a new shape of as many elements (row-major); one entry may be -1")
      .inputs({"x"})
      .required_attr("shape", AttrKind::kInts, "the result shape; -1 is inferred")
      .pattern(OpPattern::kInjective)
      .infer_shape([](const OpCall& c) {
        Shape out = c.attr<std::vector<int64_t>>("shape");
        int64_t n = num_elements(c.inputs[0].shape), known = 1;
        int infer = -1;
        for (size_t i = 0; i < out.size(); ++i) {
          if (out[i] == -1 && infer < 0) {
            infer = static_cast<int>(i);
          } else if (out[i] <= 0) {
            OP_THROW(c, ShapeError) << "bad target shape " << shape_to_string(out)
                                    << " (dimensions must be positive, at most one -1)";
          } else {
            known *= out[i];
          }
        }
        if (infer >= 0 && known > 0 && n % known == 0) out[infer] = n / known;
        if (num_elements(out) != n) {
          OP_THROW(c, ShapeError) << "cannot reshape " << shape_to_string(c.inputs[0].shape)
                                  << " (" << n << " elements) to "
                                  << shape_to_string(c.attr<std::vector<int64_t>>("shape"));
        }
        return std::vector<Shape>{out};
      })
      .compute([](const ComputeCall& c) {
        Shape in = c.call.inputs[0].shape, out = c.outputs[0].shape;
        return elementwise_compute([in, out](const auto& ins, const auto& axes) {
          return ins[0](unflatten_index(flatten_index(axes, out), in));
        })(c);
      });

  OpRegistry::global()
      .add("transpose")
      .describe("x with its axes permuted: result axis i is x's axis perm[i]")
      .inputs({"x"})
      .required_attr("perm", AttrKind::kInts, "a permutation of 0..rank-1 (negative allowed)")
      .pattern(OpPattern::kInjective)
      .infer_shape([](const OpCall& c) {
        const auto& in = c.inputs[0].shape;
        auto perm = c.attr<std::vector<int64_t>>("perm");
        std::vector<bool> seen(in.size());
        if (perm.size() != in.size()) {
          OP_THROW(c, ShapeError) << "perm has " << perm.size() << " entries for rank " << in.size();
        }
        Shape out;
        for (auto p : perm) {
          int64_t a = c.normalize_axis(p, static_cast<int64_t>(in.size()));
          if (seen[a]) OP_THROW(c, ShapeError) << "perm repeats axis " << a;
          seen[a] = true;
          out.push_back(in[a]);
        }
        return std::vector<Shape>{out};
      })
      .compute([](const ComputeCall& c) {
        auto perm = c.call.attr<std::vector<int64_t>>("perm");
        int64_t r = static_cast<int64_t>(perm.size());
        return elementwise_compute([perm, r](const auto& ins, const auto& axes) {
          std::vector<Expr> idx(perm.size());
          for (size_t i = 0; i < perm.size(); ++i) idx[perm[i] < 0 ? perm[i] + r : perm[i]] = axes[i];
          return ins[0](idx);
        })(c);
      });

  OpRegistry::global()
      .add("fill_constant")
      .describe("a tensor of `shape` with every element `value`")
      .inputs({})
      .required_attr("shape", AttrKind::kInts, "the result shape ([] for a scalar)")
      .required_attr("value", AttrKind::kFloat, "the value (converted to dtype)")
      .attr("dtype", common::Float(32), "the result dtype")
      .pattern(OpPattern::kElementWise)
      .infer_shape([](const OpCall& c) { return std::vector<Shape>{c.attr<std::vector<int64_t>>("shape")}; })
      .infer_dtype([](const OpCall& c) { return std::vector<common::Type>{c.attr<common::Type>("dtype")}; })
      .compute([](const ComputeCall& c) {
        Expr v = ir::make_const(c.outputs[0].dtype, c.call.attr<double>("value"));
        return elementwise_compute([v](const auto&, const auto&) { return v; })(c);
      });
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
