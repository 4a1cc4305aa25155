// Layout primitives: broadcast_to, reshape, transpose, pad; fill_constant.
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

// pad's `pads` as (before, after) per axis; ShapeError naming the op unless it has two
// entries per axis and every padded extent stays positive.
std::vector<std::pair<int64_t, int64_t>> pad_amounts(const OpCall& c) {
  const auto& pads = c.attr<std::vector<int64_t>>("pads");
  const Shape& in = c.inputs[0].shape;
  if (pads.size() != 2 * in.size()) {
    OP_THROW(c, ShapeError) << "pads must have 2 entries per axis ([before_0, after_0, "
                            << "before_1, ...]), got " << pads.size() << " for rank " << in.size();
  }
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t d = 0; d < in.size(); ++d) {
    out.emplace_back(pads[2 * d], pads[2 * d + 1]);
    if (in[d] + pads[2 * d] + pads[2 * d + 1] <= 0) {
      OP_THROW(c, ShapeError) << "pads " << attr_to_string(Attr(pads)) << " leave axis " << d
                              << " (size " << in[d] << ") empty";
    }
  }
  return out;
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

  // pad: out[i] = x[i - before] where that index is inside x, else value; a negative amount
  // crops (torch.nn.functional.pad's rule, but pads are listed from the first axis).
  OpRegistry::global()
      .add("pad")
      .describe("x padded with the constant `value`: out[i] = x[i - before] inside x, `value` "
                "elsewhere; pads = [before_0, after_0, before_1, after_1, ...] for every axis "
                "in order (negative amounts crop)")
      .inputs({"x"})
      .required_attr("pads", AttrKind::kInts, "[before_0, after_0, before_1, ...]: 2 per axis")
      .attr("value", 0.0, "the fill value (converted to x's dtype)")
      .pattern(OpPattern::kInjective)
      .infer_shape([](const OpCall& c) {
        Shape out = c.inputs[0].shape;
        auto pads = pad_amounts(c);
        for (size_t d = 0; d < out.size(); ++d) out[d] += pads[d].first + pads[d].second;
        return std::vector<Shape>{out};
      })
      .compute([](const ComputeCall& c) {
        auto pads = pad_amounts(c.call);
        Shape in = c.call.inputs[0].shape;
        Expr v = ir::make_const(c.outputs[0].dtype, c.call.attr<double>("value"));
        return elementwise_compute([pads, in, v](const auto& ins, const auto& axes) {
          // Both arms of a select are evaluated, so the load's index is clamped into x too.
          std::vector<Expr> idx = axes;
          Expr inside;
          for (size_t d = 0; d < in.size(); ++d) {
            Expr i = pads[d].first == 0 ? axes[d] : axes[d] - Expr(pads[d].first);
            idx[d] = i;
            if (pads[d].first <= 0 && pads[d].second <= 0) continue;  // only crops: inside x
            Expr ok = i >= Expr(int64_t{0}) && i < Expr(in[d]);
            inside = inside.defined() ? (inside && ok) : ok;
            idx[d] = ir::max(ir::min(i, Expr(in[d] - 1)), Expr(int64_t{0}));
          }
          return inside.defined() ? ir::select(inside, ins[0](idx), v) : ins[0](idx);
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
