// Windowed NCHW primitives: pool2d and conv2d.
#include "cinn/hlir/ops/op_util.h"

namespace cinn::hlir::ops {
namespace {

// A pair attribute ([h, w]); ShapeError naming the op unless it has two entries >= `min`.
std::vector<int64_t> pair_attr(const OpCall& c, const std::string& name, int64_t min) {
  const auto& v = c.attr<std::vector<int64_t>>(name);
  if (v.size() != 2 || v[0] < min || v[1] < min) {
    OP_THROW(c, ShapeError) << "attribute '" << name << "' must be [h, w] with entries >= "
                            << min << ", got " << attr_to_string(Attr(v));
  }
  return v;
}

void require_rank4(const OpCall& c, size_t i, const char* what, const char* layout) {
  if (c.inputs[i].shape.size() != 4) {
    OP_THROW(c, ShapeError) << what << " must be 4-D " << layout << ", got shape "
                            << shape_to_string(c.inputs[i].shape);
  }
}

// x[.., h, w] with zero-padding outside [0, H) x [0, W): `pad` where out of range. LLVM's
// select evaluates both arms, so the load's indices are clamped into range as well.
Expr padded_load(const lang::Tensor& x, std::vector<Expr> idx, int64_t H, int64_t W, bool padded,
                 Expr pad) {
  if (!padded) return x(idx);
  Expr h = idx[2], w = idx[3];
  Expr inside = h >= Expr(int64_t{0}) && h < Expr(H) && w >= Expr(int64_t{0}) && w < Expr(W);
  idx[2] = ir::max(ir::min(h, Expr(H - 1)), Expr(int64_t{0}));
  idx[3] = ir::max(ir::min(w, Expr(W - 1)), Expr(int64_t{0}));
  return ir::select(inside, x(idx), pad);
}

struct PoolParams {
  bool is_max = true, exclusive = true;
  std::vector<int64_t> kernel, stride, padding;
};

PoolParams pool_params(const OpCall& c) {
  PoolParams p;
  const auto& kind = c.attr<std::string>("kind");
  if (kind != "max" && kind != "avg") {
    OP_THROW(c, Error) << "attribute 'kind' must be max or avg; got '" << kind << "'";
  }
  p.is_max = kind == "max";
  p.exclusive = c.attr<bool>("exclusive");
  p.kernel = pair_attr(c, "kernel", 1);
  p.stride = c.attr<std::vector<int64_t>>("stride").empty() ? p.kernel : pair_attr(c, "stride", 1);
  p.padding = pair_attr(c, "padding", 0);
  for (int d = 0; d < 2; ++d) {
    // Otherwise a window could lie wholly in the padding (PyTorch's rule too).
    if (p.padding[d] * 2 > p.kernel[d]) {
      OP_THROW(c, ShapeError) << "padding " << attr_to_string(Attr(p.padding))
                              << " must be at most half the kernel "
                              << attr_to_string(Attr(p.kernel));
    }
  }
  return p;
}

// Output extent of a window sweep: floor((n + 2 pad - span) / stride) + 1, span the
// dilated kernel extent.
int64_t window_extent(const OpCall& c, int64_t n, int64_t pad, int64_t span, int64_t stride) {
  int64_t padded = n + 2 * pad;
  if (padded < span) {
    OP_THROW(c, ShapeError) << "the window (extent " << span << ") is larger than the padded "
                            << "input (extent " << padded << ")";
  }
  return (padded - span) / stride + 1;
}

struct ConvParams {
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;
};

ConvParams conv_params(const OpCall& c) {
  require_rank4(c, 0, "x", "NCHW");
  require_rank4(c, 1, "w", "OIHW");
  ConvParams p;
  p.stride = pair_attr(c, "stride", 1);
  p.padding = pair_attr(c, "padding", 0);
  p.dilation = pair_attr(c, "dilation", 1);
  p.groups = c.attr<int64_t>("groups");
  const Shape& xs = c.inputs[0].shape;
  const Shape& ws = c.inputs[1].shape;
  if (p.groups < 1 || xs[1] % p.groups != 0 || ws[0] % p.groups != 0) {
    OP_THROW(c, ShapeError) << "groups=" << p.groups << " must divide the input channels ("
                            << xs[1] << ") and the output channels (" << ws[0] << ")";
  }
  if (ws[1] != xs[1] / p.groups) {
    OP_THROW(c, ShapeError) << "w " << shape_to_string(ws) << " has " << ws[1]
                            << " input channels per group, expected " << xs[1] / p.groups
                            << " (x " << shape_to_string(xs) << " with groups=" << p.groups << ")";
  }
  return p;
}

bool register_all() {
  OpRegistry::global()
      .add("pool2d")
      .describe("max or average pooling of NCHW x over kernel windows. Max pads with -inf; "
                "avg divides by the number of non-padded elements when exclusive (PyTorch "
                "count_include_pad=False), else by kh*kw")
      .inputs({"x"})
      .required_attr("kind", AttrKind::kString, "max or avg")
      .required_attr("kernel", AttrKind::kInts, "window [kh, kw]")
      .attr("stride", std::vector<int64_t>{}, "[sh, sw]; [] means the kernel")
      .attr("padding", std::vector<int64_t>{0, 0},
            "[ph, pw] on both sides, at most half the kernel")
      .attr("exclusive", true, "avg only: leave padded elements out of the divisor")
      .pattern(OpPattern::kOpaque)
      .infer_shape([](const OpCall& c) {
        require_rank4(c, 0, "x", "NCHW");
        PoolParams p = pool_params(c);
        Shape out = c.inputs[0].shape;
        for (int d = 0; d < 2; ++d) {
          out[2 + d] = window_extent(c, out[2 + d], p.padding[d], p.kernel[d], p.stride[d]);
        }
        return std::vector<Shape>{out};
      })
      .infer_dtype([](const OpCall& c) {
        require_float(c);
        return std::vector<common::Type>{c.inputs[0].dtype};
      })
      .compute([](const ComputeCall& c) {
        PoolParams p = pool_params(c.call);
        const Shape& in = c.call.inputs[0].shape;
        int64_t H = in[2], W = in[3];
        bool padded = p.padding[0] > 0 || p.padding[1] > 0;
        common::Type t = c.outputs[0].dtype;
        lang::Tensor x = c.inputs[0];
        lang::ReduceAxis rh = lang::reduce_axis(Expr(p.kernel[0]), "rh");
        lang::ReduceAxis rw = lang::reduce_axis(Expr(p.kernel[1]), "rw");
        // The window's first input row / column for output row / column `o`.
        auto h0 = [&](Expr o) { return o * Expr(p.stride[0]) - Expr(p.padding[0]); };
        auto w0 = [&](Expr o) { return o * Expr(p.stride[1]) - Expr(p.padding[1]); };
        auto window_load = [&](const std::vector<Expr>& a, Expr pad) {
          return padded_load(x, {a[0], a[1], h0(a[2]) + rh.var, w0(a[3]) + rw.var}, H, W, padded,
                             pad);
        };
        std::string name = p.is_max ? c.output_names[0] : c.output_names[0] + "_sum";
        lang::Tensor acc = lang::compute(
            to_exprs(c.outputs[0].shape),
            [&](const std::vector<Expr>& a) {
              if (p.is_max) {
                return lang::max(window_load(a, lang::reduce_identity(lang::ReduceKind::kMax, t)),
                                 {rh, rw});
              }
              return lang::sum(window_load(a, ir::make_zero(t)), {rh, rw});
            },
            name);
        if (p.is_max) return std::vector<lang::Tensor>{acc};
        lang::Tensor avg = lang::compute(
            to_exprs(c.outputs[0].shape),
            [&](const std::vector<Expr>& a) {
              Expr count(p.kernel[0] * p.kernel[1]);
              if (p.exclusive && padded) {
                // The window clipped to the input: (min(h0+kh, H) - max(h0, 0)) * (same in w).
                auto clipped = [](Expr lo, int64_t k, int64_t n) {
                  return ir::min(lo + Expr(k), Expr(n)) - ir::max(lo, Expr(int64_t{0}));
                };
                count = clipped(h0(a[2]), p.kernel[0], H) * clipped(w0(a[3]), p.kernel[1], W);
              }
              return acc(a) / ir::cast(t, count);
            },
            c.output_names[0]);
        return std::vector<lang::Tensor>{avg};
      });

  OpRegistry::global()
      .add("conv2d")
      .describe("2-D convolution (cross-correlation) of NCHW x with OIHW w, w.shape[1] == C / "
                "groups: out[n, o, i, j] = sum_{c, r, s} x[n, g*C/groups + c, i*sh - ph + r*dh, "
                "j*sw - pw + s*dw] * w[o, c, r, s] with g = o / (O/groups) and zero padding")
      .inputs({"x", "w"})
      .attr("stride", std::vector<int64_t>{1, 1}, "[sh, sw]")
      .attr("padding", std::vector<int64_t>{0, 0}, "zero padding [ph, pw] on both sides")
      .attr("dilation", std::vector<int64_t>{1, 1}, "[dh, dw]: spacing of the kernel taps")
      .attr("groups", int64_t{1}, "channel groups; divides C and O")
      .pattern(OpPattern::kOutFusible)
      .infer_shape([](const OpCall& c) {
        ConvParams p = conv_params(c);
        const Shape& xs = c.inputs[0].shape;
        const Shape& ws = c.inputs[1].shape;
        Shape out{xs[0], ws[0], 0, 0};
        for (int d = 0; d < 2; ++d) {
          int64_t span = p.dilation[d] * (ws[2 + d] - 1) + 1;
          out[2 + d] = window_extent(c, xs[2 + d], p.padding[d], span, p.stride[d]);
        }
        return std::vector<Shape>{out};
      })
      .infer_dtype([](const OpCall& c) {
        if (c.inputs[0].dtype.is_bool()) OP_THROW(c, DTypeError) << "expects numbers, got bool";
        return same_dtype(c);
      })
      .compute([](const ComputeCall& c) {
        ConvParams p = conv_params(c.call);
        const Shape& xs = c.call.inputs[0].shape;
        const Shape& ws = c.call.inputs[1].shape;
        bool padded = p.padding[0] > 0 || p.padding[1] > 0;
        lang::Tensor x = c.inputs[0], w = c.inputs[1];
        lang::ReduceAxis rc = lang::reduce_axis(Expr(ws[1]), "rc");
        lang::ReduceAxis rh = lang::reduce_axis(Expr(ws[2]), "rh");
        lang::ReduceAxis rw = lang::reduce_axis(Expr(ws[3]), "rw");
        int64_t out_per_group = ws[0] / p.groups;
        common::Type t = c.outputs[0].dtype;
        // The input is staged first (`<out>_pad`, a staging block: the schedules keep
        // it as its own loop nest) so that the convolution's loads are contiguous along the output row:
        //   padding: xp[n, c, h, w] = x[n, c, h - ph, w - pw], zero outside;
        //   stride s > 1: split by phase as well,
        //     xs[n, c, a, b, h, w] = xp[n, c, h * sh + a, w * sw + b],
        //   so that tap (r, q) of output (y, x) reads xs[.., (r dh) % sh, (q dw) % sw,
        //   y + (r dh) / sh, x + (q dw) / sw].
        int64_t sh = p.stride[0], sw = p.stride[1];
        bool phased = sh > 1 || sw > 1;
        if (phased) {
          int64_t hp = xs[2] + 2 * p.padding[0], wp = xs[3] + 2 * p.padding[1];
          Shape ps = {xs[0], xs[1], sh, sw, (hp + sh - 1) / sh, (wp + sw - 1) / sw};
          x = lang::compute(
              to_exprs(ps),
              [&](const std::vector<Expr>& a) {
                Expr h = a[4] * Expr(sh) + a[2] - Expr(p.padding[0]);
                Expr wi = a[5] * Expr(sw) + a[3] - Expr(p.padding[1]);
                return padded_load(x, {a[0], a[1], h, wi}, xs[2], xs[3], true, ir::make_zero(t));
              },
              c.output_names[0] + "_pad", {}, {{ir::kStagingAnnotation, "phase split"}});
        } else if (padded) {
          Shape ps = xs;
          ps[2] += 2 * p.padding[0];
          ps[3] += 2 * p.padding[1];
          x = lang::compute(
              to_exprs(ps),
              [&](const std::vector<Expr>& a) {
                return padded_load(x, {a[0], a[1], a[2] - Expr(p.padding[0]), a[3] - Expr(p.padding[1])},
                                   xs[2], xs[3], true, ir::make_zero(t));
              },
              c.output_names[0] + "_pad", {}, {{ir::kStagingAnnotation, "zero padding"}});
        }
        lang::Tensor out = lang::compute(
            to_exprs(c.outputs[0].shape),
            [&](const std::vector<Expr>& a) {
              // Output channel o reads the input channels of its group o / (O / groups).
              Expr ch = p.groups == 1 ? rc.var
                                      : a[1] / Expr(out_per_group) * Expr(ws[1]) + rc.var;
              Expr dh = rh.var * Expr(p.dilation[0]), dw = rw.var * Expr(p.dilation[1]);
              Expr wv = w(a[1], rc.var, rh.var, rw.var);
              if (phased) {
                return lang::sum(x(a[0], ch, dh % Expr(sh), dw % Expr(sw), a[2] + dh / Expr(sh),
                                   a[3] + dw / Expr(sw)) * wv, {rc, rh, rw});
              }
              return lang::sum(x(a[0], ch, a[2] + dh, a[3] + dw) * wv, {rc, rh, rw});
            },
            c.output_names[0]);
        return std::vector<lang::Tensor>{out};
      });
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
