// Layout primitives: broadcast_to, reshape, transpose, pad; fill_constant.
#include <algorithm>
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

// pad's amounts per axis: `before`, `after` and `interior` (elements between neighbours).
struct PadAxis {
  int64_t before = 0, after = 0, interior = 0;
};

// ShapeError naming the op unless pads has two entries per axis, interior none or one
// non-negative entry per axis, and every padded extent stays positive.
std::vector<PadAxis> pad_amounts(const OpCall& c) {
  const auto& pads = c.attr<std::vector<int64_t>>("pads");
  auto interior = c.attr<std::vector<int64_t>>("interior");
  const Shape& in = c.inputs[0].shape;
  if (pads.size() != 2 * in.size()) {
    OP_THROW(c, ShapeError) << "pads must have 2 entries per axis ([before_0, after_0, "
                            << "before_1, ...]), got " << pads.size() << " for rank " << in.size();
  }
  if (interior.empty()) interior.assign(in.size(), 0);
  if (interior.size() != in.size()) {
    OP_THROW(c, ShapeError) << "interior must have one entry per axis, got " << interior.size()
                            << " for rank " << in.size();
  }
  std::vector<PadAxis> out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (interior[d] < 0) {
      OP_THROW(c, ShapeError) << "interior padding must be >= 0, got " << interior[d]
                              << " for axis " << d;
    }
    out.push_back({pads[2 * d], pads[2 * d + 1], interior[d]});
    if (in[d] + (in[d] - 1) * interior[d] + pads[2 * d] + pads[2 * d + 1] <= 0) {
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
      })
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        return std::vector<Value*>{sum_to(b, g[0], n.inputs[0]->shape())};
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
      })
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        return std::vector<Value*>{b.call1("reshape", {g[0]}, {{"shape", n.inputs[0]->shape()}})};
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
      })
      // The inverse permutation: x's axis perm[i] is the result's axis i.
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        auto perm = get_attr<std::vector<int64_t>>(n.attrs, "perm");
        int64_t r = static_cast<int64_t>(perm.size());
        std::vector<int64_t> inverse(perm.size());
        for (int64_t i = 0; i < r; ++i) inverse[perm[i] < 0 ? perm[i] + r : perm[i]] = i;
        return std::vector<Value*>{b.call1("transpose", {g[0]}, {{"perm", inverse}})};
      });

  // pad: out[before + i (interior + 1)] = x[i], value elsewhere; a negative amount crops
  // (torch.nn.functional.pad's rule, but pads are listed from the first axis). Interior
  // padding (XLA's) spreads x's elements apart: it is the adjoint of a strided slice.
  OpRegistry::global()
      .add("pad")
      .describe("x padded with the constant `value`: out[before + i * (interior + 1)] = x[i], "
                "`value` elsewhere; pads = [before_0, after_0, before_1, after_1, ...] for "
                "every axis in order (negative amounts crop)")
      .inputs({"x"})
      .required_attr("pads", AttrKind::kInts, "[before_0, after_0, before_1, ...]: 2 per axis")
      .attr("value", 0.0, "the fill value (converted to x's dtype)")
      .attr("interior", std::vector<int64_t>{}, "elements of `value` between neighbours, per "
            "axis; [] means none")
      .pattern(OpPattern::kInjective)
      .infer_shape([](const OpCall& c) {
        Shape out = c.inputs[0].shape;
        auto pads = pad_amounts(c);
        for (size_t d = 0; d < out.size(); ++d) {
          out[d] += (out[d] - 1) * pads[d].interior + pads[d].before + pads[d].after;
        }
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
            const PadAxis& p = pads[d];
            Expr i = p.before == 0 ? axes[d] : axes[d] - Expr(p.before);
            idx[d] = i;
            if (p.before <= 0 && p.after <= 0 && p.interior == 0) continue;  // only crops
            Expr ok = i >= Expr(int64_t{0});
            if (p.interior > 0) {
              Expr step(p.interior + 1);
              ok = ok && i % step == Expr(int64_t{0});
              i = i / step;
            }
            ok = ok && i < Expr(in[d]);
            inside = inside.defined() ? (inside && ok) : ok;
            idx[d] = ir::max(ir::min(i, Expr(in[d] - 1)), Expr(int64_t{0}));
          }
          return inside.defined() ? ir::select(inside, ins[0](idx), v) : ins[0](idx);
        })(c);
      })
      // The gradient read back where x's elements went: without interior padding, a pad
      // by the negated amounts (a crop); with it, a strided slice (after padding what the
      // forward cropped, so that every element's position exists).
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        auto pads = pad_amounts(node_call(n));
        const Shape& xs = n.inputs[0]->shape();
        bool interior = false;
        std::vector<int64_t> crop, uncrop, axes, starts, ends, strides;
        for (size_t d = 0; d < pads.size(); ++d) {
          const PadAxis& p = pads[d];
          interior = interior || p.interior > 0;
          crop.insert(crop.end(), {-p.before, -p.after});
          uncrop.insert(uncrop.end(), {std::max<int64_t>(-p.before, 0), std::max<int64_t>(-p.after, 0)});
          int64_t first = std::max<int64_t>(p.before, 0);
          axes.push_back(static_cast<int64_t>(d));
          starts.push_back(first);
          ends.push_back(first + (xs[d] - 1) * (p.interior + 1) + 1);
          strides.push_back(p.interior + 1);
        }
        if (!interior) return std::vector<Value*>{b.call1("pad", {g[0]}, {{"pads", crop}})};
        Value* v = g[0];
        if (std::any_of(uncrop.begin(), uncrop.end(), [](int64_t a) { return a > 0; })) {
          v = b.call1("pad", {v}, {{"pads", uncrop}});
        }
        return std::vector<Value*>{b.call1("slice", {v}, {{"axes", axes},
                                                          {"starts", starts},
                                                          {"ends", ends},
                                                          {"strides", strides}})};
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
      })
      .vjp(no_gradient());
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
