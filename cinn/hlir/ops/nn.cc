// Windowed NCHW primitives: pool2d, conv2d and conv2d's weight gradient.
#include <algorithm>
#include <cmath>

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

// x (NCHW, shape xs) zero-padded by `padding` and split by phase for strides (sh, sw),
// staged as its own block `name`: xs[n, c, a, b, h, w] = xp[n, c, h * sh + a, w * sw + b] for
// the padded xp, so that a window tap at offset d along a strided axis reads phase d % s at
// position y + d / s: contiguous along the output row.
lang::Tensor phase_split(const lang::Tensor& x, const Shape& xs, const std::vector<int64_t>& padding,
                         int64_t sh, int64_t sw, common::Type t, const std::string& name) {
  int64_t hp = xs[2] + 2 * padding[0], wp = xs[3] + 2 * padding[1];
  Shape ps = {xs[0], xs[1], sh, sw, (hp + sh - 1) / sh, (wp + sw - 1) / sw};
  return lang::compute(
      to_exprs(ps),
      [&](const std::vector<Expr>& a) {
        Expr h = a[4] * Expr(sh) + a[2] - Expr(padding[0]);
        Expr w = a[5] * Expr(sw) + a[3] - Expr(padding[1]);
        return padded_load(x, {a[0], a[1], h, w}, xs[2], xs[3], true, ir::make_zero(t));
      },
      name, {}, {{ir::kStagingAnnotation, "phase split"}});
}

// Whether a grouped convolution (or its weight gradient) with `channels_per_group` input
// channels per group reads x in place, its padding as masked loads and a stride as loads
// of a few elements apart (codegen_llvm: a masked load of the span and a shuffle), rather
// than from a zero-padded or phase-split copy. A depthwise convolution does little work
// per element of x, and the copy was a second pass as long as the convolution itself: in
// place measured 1.3-2.5x faster forward and 3-6x for strided weight gradients. From four
// channels per group on, and for ungrouped convolutions of one or two channels (every
// output channel reads the same x), the copy pays for itself
// (benchmarks/results/conv_2026-11-25.md).
bool reads_in_place(int64_t groups, int64_t channels_per_group) { return groups > 1 && channels_per_group <= 2; }

// The element of phase_split's `xs` that window tap (dh, dw) (offsets in padded input
// pixels) reads for output position (y, x) of image n, channel c.
Expr phase_tap(const lang::Tensor& xs, Expr n, Expr c, Expr y, Expr x, Expr dh, Expr dw, int64_t sh, int64_t sw) {
  return xs(n, c, dh % Expr(sh), dw % Expr(sw), y + dh / Expr(sh), x + dw / Expr(sw));
}

// x (NCHW, shape xs) zero-padded by [ph, pw] on both sides, staged as its own block `name`
// (ir::kStagingAnnotation) so that window loads read it without bounds checks.
lang::Tensor zero_padded(const lang::Tensor& x, const Shape& xs, const std::vector<int64_t>& padding,
                         common::Type t, const std::string& name) {
  Shape ps = xs;
  ps[2] += 2 * padding[0];
  ps[3] += 2 * padding[1];
  return lang::compute(
      to_exprs(ps),
      [&](const std::vector<Expr>& a) {
        return padded_load(x, {a[0], a[1], a[2] - Expr(padding[0]), a[3] - Expr(padding[1])}, xs[2],
                           xs[3], true, ir::make_zero(t));
      },
      name, {}, {{ir::kStagingAnnotation, "zero padding"}});
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
  std::vector<int64_t> kernel;  // [kh, kw]
};

// The element of x (NCHW, shape xs) that window tap (dh, dw) (offsets in padded input
// pixels) reads for output position (y, xo) of image n, channel c, read in place: zero in
// the padding (masked loads, padded_load).
Expr tap_in_place(const lang::Tensor& x, const Shape& xs, const ConvParams& p, Expr n, Expr c, Expr y, Expr xo,
                  Expr dh, Expr dw, common::Type t) {
  bool padded = p.padding[0] > 0 || p.padding[1] > 0;
  return padded_load(x, {n, c, y * Expr(p.stride[0]) + dh - Expr(p.padding[0]), xo * Expr(p.stride[1]) + dw - Expr(p.padding[1])},
                     xs[2], xs[3], padded, ir::make_zero(t));
}

// The window attributes of a convolution of x (input 0, NCHW) producing `out_channels`.
ConvParams window_params(const OpCall& c, int64_t out_channels) {
  require_rank4(c, 0, "x", "NCHW");
  ConvParams p;
  p.stride = pair_attr(c, "stride", 1);
  p.padding = pair_attr(c, "padding", 0);
  p.dilation = pair_attr(c, "dilation", 1);
  p.groups = c.attr<int64_t>("groups");
  const Shape& xs = c.inputs[0].shape;
  if (p.groups < 1 || xs[1] % p.groups != 0 || out_channels % p.groups != 0) {
    OP_THROW(c, ShapeError) << "groups=" << p.groups << " must divide the input channels ("
                            << xs[1] << ") and the output channels (" << out_channels << ")";
  }
  return p;
}

// conv2d(x, w).
ConvParams conv_params(const OpCall& c) {
  require_rank4(c, 1, "w", "OIHW");
  const Shape& xs = c.inputs[0].shape;
  const Shape& ws = c.inputs[1].shape;
  ConvParams p = window_params(c, ws[0]);
  if (ws[1] != xs[1] / p.groups) {
    OP_THROW(c, ShapeError) << "w " << shape_to_string(ws) << " has " << ws[1]
                            << " input channels per group, expected " << xs[1] / p.groups
                            << " (x " << shape_to_string(xs) << " with groups=" << p.groups << ")";
  }
  p.kernel = {ws[2], ws[3]};
  return p;
}

// conv2d_weight_grad(x, dy): dy must have the shape of conv2d's result for x and the kernel.
ConvParams weight_grad_params(const OpCall& c) {
  require_rank4(c, 1, "dy", "NCHW");
  const Shape& xs = c.inputs[0].shape;
  const Shape& ds = c.inputs[1].shape;
  ConvParams p = window_params(c, ds[1]);
  p.kernel = pair_attr(c, "kernel", 1);
  Shape want{xs[0], ds[1], 0, 0};
  for (int d = 0; d < 2; ++d) {
    int64_t span = p.dilation[d] * (p.kernel[d] - 1) + 1;
    want[2 + d] = window_extent(c, xs[2 + d], p.padding[d], span, p.stride[d]);
  }
  if (ds != want) {
    OP_THROW(c, ShapeError) << "dy " << shape_to_string(ds) << " is not the shape of the "
                            << "convolution's result for x " << shape_to_string(xs)
                            << " and a " << p.kernel[0] << "x" << p.kernel[1]
                            << " kernel: expected " << shape_to_string(want);
  }
  return p;
}

// ---- Gradients. Pooling's rule sees the padded input xp through its window taps: tap
// (i, j) is the strided slice of xp that the taps at window offset (i, j) read, one element
// per output position; its adjoint (unslice) puts a value per output position back there.

using Ints = std::vector<int64_t>;

Value* tap(Builder& b, Value* xp, int64_t i, int64_t j, const Ints& stride, const Shape& out) {
  return b.call1("slice", {xp}, {{"axes", Ints{2, 3}},
                                 {"starts", Ints{i, j}},
                                 {"ends", Ints{i + stride[0] * (out[2] - 1) + 1,
                                               j + stride[1] * (out[3] - 1) + 1}},
                                 {"strides", stride}});
}

Value* untap(Builder& b, Value* v, int64_t i, int64_t j, const Ints& stride, int64_t hp, int64_t wp) {
  return unslice(b, unslice(b, v, 2, i, stride[0], hp), 3, j, stride[1], wp);
}

Value* pad_hw(Builder& b, Value* x, int64_t ph, int64_t pw, double value = 0.0) {
  if (ph == 0 && pw == 0) return x;
  return b.call1("pad", {x}, {{"pads", Ints{0, 0, 0, 0, ph, ph, pw, pw}}, {"value", value}});
}

// One phase of a strided window's input axis (extent n, kernel k, stride s, padding pad):
// the positions h = s * a + r, a in [0, rows). Only the taps i = first + s * t, t in
// [0, taps), reach them, tap t from the output row a + lead - t. Both windowed gradients
// (pooling, conv2d's input gradient) are summed per phase: each phase reads the outputs
// contiguously, and only the phase's result is spread by the stride (untap).
struct WindowPhase {
  int64_t rows = 0, first = 0, taps = 0, lead = 0;
};

WindowPhase window_phase(int64_t n, int64_t k, int64_t s, int64_t pad, int64_t r) {
  WindowPhase w;
  w.rows = (n - r + s - 1) / s;
  w.first = (r + pad) % s;
  w.taps = w.first < k ? (k - w.first + s - 1) / s : 0;
  w.lead = (r + pad - w.first) / s;
  return w;
}

// max: each output's gradient goes to the first tap (in window order) holding the maximum,
// as PyTorch's max_pool2d indices do; avg: to every tap, divided by the window's count.
std::vector<Value*> pool2d_vjp(Builder& b, const Node& n, const std::vector<Value*>& g) {
  PoolParams p = pool_params(node_call(n));
  Value *x = n.inputs[0], *y = n.outputs[0];
  const Shape& xs = x->shape();
  const Shape& ys = y->shape();
  int64_t hp = xs[2] + 2 * p.padding[0], wp = xs[3] + 2 * p.padding[1];
  Value* share = g[0];
  Value* xp = nullptr;
  Value* zero = nullptr;
  if (p.is_max) {
    xp = pad_hw(b, x, p.padding[0], p.padding[1], -HUGE_VAL);
    zero = b.full(y->type, 0.0);
  } else if (p.exclusive && (p.padding[0] > 0 || p.padding[1] > 0)) {
    // The window clipped to the input, per output row (column): min(lo + k, n) - max(lo, 0)
    // with lo = o * stride - pad, the forward's divisor.
    common::Type i64 = common::Int(64);
    auto clipped = [&](int d) {
      Value* lo = b.call1("sub", {b.call1("mul", {b.call1("iota", {}, {{"shape", Ints{ys[2 + d]}}}),
                                                  b.scalar(static_cast<double>(p.stride[d]), i64)}),
                                  b.scalar(static_cast<double>(p.padding[d]), i64)});
      Value* hi = b.call1("min", {b.call1("add", {lo, b.scalar(static_cast<double>(p.kernel[d]), i64)}),
                                  b.scalar(static_cast<double>(xs[2 + d]), i64)});
      Value* c = b.call1("sub", {hi, b.call1("max", {lo, b.scalar(0.0, i64)})});
      return b.call1("cast", {c}, {{"dtype", x->dtype()}});
    };
    Value* rows = b.call1("reshape", {clipped(0)}, {{"shape", Ints{ys[2], 1}}});
    Value* cols = b.call1("reshape", {clipped(1)}, {{"shape", Ints{1, ys[3]}}});
    share = b.call1("div", {g[0], b.call1("mul", {rows, cols})});
  } else {
    share = b.call1("mul", {g[0], b.scalar(1.0 / static_cast<double>(p.kernel[0] * p.kernel[1]), x->dtype())});
  }
  // max: the window position of the first tap equal to the maximum, per output (a min
  // over the taps, so that each tap's comparison is used once: chained "claimed" masks
  // would grow exponentially once fusion inlines them).
  Value* first = nullptr;
  auto position = [&](int64_t k) {
    return b.full(TensorType{ys, common::Int(32)}, static_cast<double>(k));
  };
  int64_t taps = p.kernel[0] * p.kernel[1];
  if (p.is_max) {
    for (int64_t k = 0; k < taps; ++k) {
      Value* hit = b.call1("compare", {tap(b, xp, k / p.kernel[1], k % p.kernel[1], p.stride, ys), y},
                           {{"op", std::string("eq")}});
      Value* at = b.call1("select", {hit, position(k), position(taps)});
      first = first ? b.call1("min", {first, at}) : at;
    }
  }
  // What tap k passes back, per output position.
  auto given = [&](int64_t k) {
    if (!p.is_max) return share;
    return b.call1("select", {b.call1("compare", {first, position(k)}, {{"op", std::string("eq")}}), g[0], zero});
  };
  // dx on the padded grid, one phase at a time (window_phase, padding 0 there): tap (t, u)
  // of a phase is what its taps pass back, shifted onto the phase's rows.
  const Ints& s = p.stride;
  Value* dxp = nullptr;
  for (int64_t rh = 0; rh < std::min(s[0], hp); ++rh) {
    for (int64_t rw = 0; rw < std::min(s[1], wp); ++rw) {
      WindowPhase ph = window_phase(hp, p.kernel[0], s[0], 0, rh), pw = window_phase(wp, p.kernel[1], s[1], 0, rw);
      Value* phase = nullptr;
      for (int64_t t = 0; t < ph.taps; ++t) {
        for (int64_t u = 0; u < pw.taps; ++u) {
          Value* v = given((ph.first + s[0] * t) * p.kernel[1] + pw.first + s[1] * u);
          int64_t bh = t - ph.lead, bw = u - pw.lead;
          Ints pads{0, 0, 0, 0, bh, ph.rows - ys[2] - bh, bw, pw.rows - ys[3] - bw};
          if (std::any_of(pads.begin(), pads.end(), [](int64_t a) { return a != 0; })) {
            v = b.call1("pad", {v}, {{"pads", pads}});
          }
          phase = phase ? b.call1("add", {phase, v}) : v;
        }
      }
      if (!phase) continue;  // no tap reaches it (stride above the kernel): zeros
      Value* spread = untap(b, phase, rh, rw, s, hp, wp);
      dxp = dxp ? b.call1("add", {dxp, spread}) : spread;
    }
  }
  return {pad_hw(b, dxp, -p.padding[0], -p.padding[1])};
}

// The gradient of conv2d(x, w) with respect to x given the result's gradient d (the
// transposed convolution): convolutions of d with w flipped and its two channel axes swapped
// within each group (wt).
//
// Stride 1: one convolution of d padded by dilation * (k - 1) - pad.
//
// Stride s > 1 (dilation 1), per phase (the input positions h = s * a + r, 0 <= r < s; the
// same along w): only the taps i = i0 + s * t with i0 = (r + pad) % s reach them, from the
// output rows a + (r + pad - i0) / s - t. So the phase is a stride-1 convolution of d,
// shifted, with the sub-kernel of those taps (a strided slice of wt), and dx is the phases
// interleaved (unslice). The convolutions together cost what the forward one does. The
// stride-1 convolution of d spread by the stride (zeros between its elements) that this
// replaces did s * s times the work, most of it on the zeros.
Value* conv2d_input_grad(Builder& b, const Shape& xs, Value* w, Value* d, const ConvParams& p) {
  const Shape& ws = w->shape();
  const Shape& ys = d->shape();
  int64_t groups = p.groups, og = ws[0] / groups, cg = ws[1], C = xs[1];
  Value* wt = b.call1("reshape", {w}, {{"shape", Ints{groups, og, cg, ws[2], ws[3]}}});
  wt = b.call1("transpose", {wt}, {{"perm", Ints{0, 2, 1, 3, 4}}});
  wt = b.call1("reshape", {wt}, {{"shape", Ints{C, og, ws[2], ws[3]}}});
  for (int64_t axis : {2, 3}) {
    if (ws[axis] > 1) wt = reversed(b, wt, axis);
  }
  hlir::AttrMap attrs{{"dilation", p.dilation}, {"groups", groups}};
  bool strided = p.stride[0] > 1 || p.stride[1] > 1;
  if (!strided || p.dilation[0] != 1 || p.dilation[1] != 1) {
    Value* gd = d;
    Ints pads(8, 0);
    for (int e = 0; e < 2; ++e) {
      int64_t axis = 2 + e, span = (ys[axis] - 1) * p.stride[e] + 1;
      if (p.stride[e] > 1) gd = unslice(b, gd, axis, 0, p.stride[e], span);
      pads[2 * axis] = p.dilation[e] * (ws[axis] - 1) - p.padding[e];
      pads[2 * axis + 1] = xs[axis] - span + p.padding[e];
    }
    return b.call1("conv2d", {b.call1("pad", {gd}, {{"pads", pads}}), wt}, attrs);
  }
  Value* dx = nullptr;
  for (int64_t rh = 0; rh < std::min(p.stride[0], xs[2]); ++rh) {
    for (int64_t rw = 0; rw < std::min(p.stride[1], xs[3]); ++rw) {
      WindowPhase ph = window_phase(xs[2], ws[2], p.stride[0], p.padding[0], rh);
      WindowPhase pw = window_phase(xs[3], ws[3], p.stride[1], p.padding[1], rw);
      if (ph.taps == 0 || pw.taps == 0) continue;  // no tap reaches this phase: zeros
      // The phase's taps in wt (flipped: tap first + s (T - 1 - u) is wt's start + s u), and d
      // shifted onto the phase's rows (negative pads crop).
      Ints start{ws[2] - 1 - ph.first - p.stride[0] * (ph.taps - 1), ws[3] - 1 - pw.first - p.stride[1] * (pw.taps - 1)};
      Value* ker = b.call1("slice", {wt}, {{"axes", Ints{2, 3}},
                                          {"starts", start},
                                          {"ends", Ints{start[0] + p.stride[0] * (ph.taps - 1) + 1,
                                                        start[1] + p.stride[1] * (pw.taps - 1) + 1}},
                                          {"strides", p.stride}});
      int64_t bh = ph.taps - 1 - ph.lead, bw = pw.taps - 1 - pw.lead;
      Ints pads{0, 0, 0, 0, bh, ph.rows + ph.taps - 1 - ys[2] - bh, bw, pw.rows + pw.taps - 1 - ys[3] - bw};
      Value* phase = b.call1("conv2d", {b.call1("pad", {d}, {{"pads", pads}}), ker}, attrs);
      Value* spread = untap(b, phase, rh, rw, p.stride, xs[2], xs[3]);
      dx = dx ? b.call1("add", {dx, spread}) : spread;
    }
  }
  if (!dx) dx = b.full(TensorType{xs, d->dtype()}, 0.0);
  return dx;
}

hlir::AttrMap conv_attrs(const ConvParams& p) {
  return {{"stride", p.stride}, {"padding", p.padding}, {"dilation", p.dilation},
          {"groups", p.groups}};
}

std::vector<Value*> conv2d_vjp(Builder& b, const Node& n, const std::vector<Value*>& g) {
  ConvParams p = conv_params(node_call(n));
  Value *x = n.inputs[0], *w = n.inputs[1], *d = g[0];
  hlir::AttrMap attrs = conv_attrs(p);
  attrs["kernel"] = p.kernel;
  Value* dw = b.call1("conv2d_weight_grad", {x, d}, attrs);
  return {conv2d_input_grad(b, x->shape(), w, d, p), dw};
}

// conv2d_weight_grad(x, d) = dw is linear in each operand: <gw, dw> = <d, conv2d(x, gw)>,
// so d's gradient is conv2d(x, gw) and x's is conv2d's input gradient with weights gw.
std::vector<Value*> conv2d_weight_grad_vjp(Builder& b, const Node& n, const std::vector<Value*>& g) {
  ConvParams p = weight_grad_params(node_call(n));
  Value *x = n.inputs[0], *d = n.inputs[1], *gw = g[0];
  Value* gd = b.call1("conv2d", {x, gw}, conv_attrs(p));
  return {conv2d_input_grad(b, x->shape(), gw, d, p), gd};
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
              return lang::sum(widened(window_load(a, ir::make_zero(t)), t), {rh, rw});  // float32 for 16-bit
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
              Expr mean = acc(a) / ir::cast(accumulator_type(t), count);
              return ir::cast(t, mean);
            },
            c.output_names[0]);
        return std::vector<lang::Tensor>{avg};
      })
      .vjp(pool2d_vjp);

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
        // A depthwise convolution reads x in place instead (reads_in_place).
        bool in_place = reads_in_place(p.groups, ws[1]);
        bool phased = (sh > 1 || sw > 1) && !in_place;
        if (phased) {
          x = phase_split(x, xs, p.padding, sh, sw, t, c.output_names[0] + "_pad");
        } else if (padded && !in_place) {
          x = zero_padded(x, xs, p.padding, t, c.output_names[0] + "_pad");
        }
        lang::Tensor out = lang::compute(
            to_exprs(c.outputs[0].shape),
            [&](const std::vector<Expr>& a) {
              // Output channel o reads the input channels of its group o / (O / groups).
              Expr ch = p.groups == 1 ? rc.var
                                      : a[1] / Expr(out_per_group) * Expr(ws[1]) + rc.var;
              Expr dh = rh.var * Expr(p.dilation[0]), dw = rw.var * Expr(p.dilation[1]);
              Expr wv = widened(w(a[1], rc.var, rh.var, rw.var), t);
              if (phased) {
                return lang::sum(widened(phase_tap(x, a[0], ch, a[2], a[3], dh, dw, sh, sw), t) * wv, {rc, rh, rw});
              }
              if (in_place) {
                return lang::sum(widened(tap_in_place(x, xs, p, a[0], ch, a[2], a[3], dh, dw, t), t) * wv, {rc, rh, rw});
              }
              return lang::sum(widened(x(a[0], ch, a[2] + dh, a[3] + dw), t) * wv, {rc, rh, rw});
            },
            accumulator_name(c.output_names[0], t));  // 16-bit floats accumulate in float32
        return std::vector<lang::Tensor>{narrowed(out, t, c.outputs[0].shape, c.output_names[0])};
      })
      .vjp(conv2d_vjp);

  OpRegistry::global()
      .add("conv2d_weight_grad")
      .describe("the gradient of conv2d(x, w) with respect to its OIHW weights w given the "
                "result's gradient dy: dw[o, c, r, s] = sum_{n, i, j} dy[n, o, i, j] * "
                "x[n, g*C/groups + c, i*sh - ph + r*dh, j*sw - pw + s*dw] with g = o / "
                "(O/groups), zero padding (PyTorch's torch.nn.grad.conv2d_weight)")
      .inputs({"x", "dy"})
      .required_attr("kernel", AttrKind::kInts, "the weights' window [kh, kw]")
      .attr("stride", std::vector<int64_t>{1, 1}, "[sh, sw]")
      .attr("padding", std::vector<int64_t>{0, 0}, "zero padding [ph, pw] on both sides")
      .attr("dilation", std::vector<int64_t>{1, 1}, "[dh, dw]: spacing of the kernel taps")
      .attr("groups", int64_t{1}, "channel groups; divides C and O")
      .pattern(OpPattern::kOutFusible)
      .infer_shape([](const OpCall& c) {
        ConvParams p = weight_grad_params(c);
        return std::vector<Shape>{{c.inputs[1].shape[1], c.inputs[0].shape[1] / p.groups,
                                   p.kernel[0], p.kernel[1]}};
      })
      .infer_dtype([](const OpCall& c) {
        if (c.inputs[0].dtype.is_bool()) OP_THROW(c, DTypeError) << "expects numbers, got bool";
        return same_dtype(c);
      })
      .compute([](const ComputeCall& c) {
        ConvParams p = weight_grad_params(c.call);
        const Shape& xs = c.call.inputs[0].shape;
        const Shape& ds = c.call.inputs[1].shape;
        const Shape& out = c.outputs[0].shape;
        int64_t O = out[0], cg = out[1], og = O / p.groups;
        common::Type t = c.outputs[0].dtype;
        lang::Tensor x = c.inputs[0], dy = c.inputs[1];
        lang::ReduceAxis rn = lang::reduce_axis(Expr(ds[0]), "rn");
        lang::ReduceAxis ri = lang::reduce_axis(Expr(ds[2]), "ri");
        lang::ReduceAxis rj = lang::reduce_axis(Expr(ds[3]), "rj");
        // The padded input row and column that tap (r, s) reads for output position (i, j).
        auto row = [&](Expr r) { return ri.var * Expr(p.stride[0]) + r * Expr(p.dilation[0]); };
        auto col = [&](Expr s) { return rj.var * Expr(p.stride[1]) + s * Expr(p.dilation[1]); };
        // Operands staged channels-last and zero-padded (`<out>_nhwc`, a staging block).
        auto channels_last = [&](const lang::Tensor& v, const Shape& vs, int64_t ph, int64_t pw,
                                 const std::string& suffix) {
          return lang::compute(
              to_exprs(Shape{vs[0], vs[2] + 2 * ph, vs[3] + 2 * pw, vs[1]}),
              [&](const std::vector<Expr>& a) {
                return padded_load(v, {a[0], a[3], a[1] - Expr(ph), a[2] - Expr(pw)}, vs[2], vs[3],
                                   ph > 0 || pw > 0, ir::make_zero(t));
              },
              c.output_names[0] + suffix, {}, {{ir::kStagingAnnotation, "channels last"}});
        };
        // Per tap (r, s), dw is a matmul over the positions k = (n, i, j):
        // dw[o, c] = sum_k dy[k, o] * x[k, c]. Its register-tiled form (kOuterProductAnnotation)
        // wants one operand's rows contiguous along the tile's vector, the other read as
        // scalars; so the result is computed as [r, s, o, c] (vector along c, x staged
        // channels-last) when a group has at least kVector input channels, else as
        // [r, (s, c), o] (vector along o, dy staged channels-last too; groups = 1). A grouped
        // convolution with few channels either way (depthwise) sums dot products along the
        // output rows instead, reading x in NCHW. The taps' result is transposed to OIHW.
        constexpr int64_t kVector = 16;
        lang::Tensor dw;
        if (cg >= kVector || (p.groups == 1 && O >= kVector)) {
          bool along_c = cg >= kVector;
          lang::Tensor xt = channels_last(x, xs, p.padding[0], p.padding[1], "_nhwc");
          lang::Tensor dt = along_c ? dy : channels_last(dy, ds, 0, 0, "_dy_nhwc");
          // Along o, the tile's rows are the (s, c) pairs (a 7x7 window over 3 channels:
          // 21 rows rather than 3).
          Shape ts = along_c ? Shape{p.kernel[0], p.kernel[1], O, cg} : Shape{p.kernel[0], p.kernel[1] * cg, O};
          lang::Tensor taps = lang::compute(
              to_exprs(ts),
              [&](const std::vector<Expr>& a) {
                Expr s = along_c ? a[1] : a[1] / Expr(cg);
                Expr o = a[2], ci = along_c ? a[3] : a[1] % Expr(cg);
                Expr ch = p.groups == 1 ? ci : o / Expr(og) * Expr(cg) + ci;
                Expr dv = along_c ? dy(rn.var, o, ri.var, rj.var) : dt(rn.var, ri.var, rj.var, o);
                return lang::sum(widened(dv, t) * widened(xt(rn.var, row(a[0]), col(s), ch), t), {rn, ri, rj});
              },
              c.output_names[0] + "_taps", {}, {{ir::kOuterProductAnnotation, "conv2d weight gradient"}});
          dw = lang::compute(
              to_exprs(out),
              [&](const std::vector<Expr>& a) {
                Expr v = along_c ? taps(a[2], a[3], a[0], a[1]) : taps(a[2], a[3] * Expr(cg) + a[1], a[0]);
                return ir::cast(t, v);
              },
              c.output_names[0]);
        } else {
          // x read in place (its padding as masked loads) or, for strides with more than
          // two channels per group (reads_in_place), split by phase first so that each tap
          // reads it contiguously along the output row.
          int64_t sh = p.stride[0], sw = p.stride[1];
          bool phased = (sh > 1 || sw > 1) && !reads_in_place(p.groups, cg);
          lang::Tensor xsplit = phased ? phase_split(x, xs, p.padding, sh, sw, t, c.output_names[0] + "_pad") : x;
          dw = lang::compute(
              to_exprs(out),
              [&](const std::vector<Expr>& a) {
                Expr ch = a[0] / Expr(og) * Expr(cg) + a[1];
                Expr dh = a[2] * Expr(p.dilation[0]), dwi = a[3] * Expr(p.dilation[1]);
                Expr xv = phased ? phase_tap(xsplit, rn.var, ch, ri.var, rj.var, dh, dwi, sh, sw)
                                 : tap_in_place(x, xs, p, rn.var, ch, ri.var, rj.var, dh, dwi, t);
                return lang::sum(widened(dy(rn.var, a[0], ri.var, rj.var), t) * widened(xv, t), {rn, ri, rj});
              },
              accumulator_name(c.output_names[0], t));
          dw = narrowed(dw, t, out, c.output_names[0]);
        }
        return std::vector<lang::Tensor>{dw};
      })
      .vjp(conv2d_weight_grad_vjp);
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
