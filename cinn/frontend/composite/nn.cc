// Composite neural-network layers over matmul, conv2d, pool2d, gather and the elementwise
// primitives. Each rule's formula is in its comment and its description.
#include <cmath>

#include "cinn/frontend/composite/rule_util.h"

namespace cinn::frontend::composite {
namespace {

// linear(x, w, bias) = x @ w^T + bias, w in PyTorch's [out, in] layout
CINN_REGISTER_OP(linear)
    .describe(
        "x @ w^T + bias with w of shape [out, in] (PyTorch layout); bias [out] is "
        "optional")
    .inputs({"x", "w", "bias?"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value *x = in[0], *w = in[1];
      if (rank(w) != 2 || rank(x) < 1 || x->shape().back() != w->shape()[1]) {
        RULE_THROW("linear", ShapeError) << "w must be [out, in] with in = x's last axis; got x "
                                         << x->type.to_string() << ", w " << w->type.to_string();
      }
      Value* y = b.matmul(x, w, false, true);
      if (in.size() > 2) {
        if (in[2]->shape() != Shape{w->shape()[0]}) {
          RULE_THROW("linear", ShapeError)
              << "bias must be [" << w->shape()[0] << "], got " << in[2]->type.to_string();
        }
        y = b.add(y, in[2]);
      }
      return Values{y};
    }));

// bmm(x, y) = matmul(x, y) for [B, n, k] x [B, k, m]
CINN_REGISTER_OP(bmm)
    .describe("batched matrix product of [B, n, k] and [B, k, m] (torch.bmm)")
    .inputs({"x", "y"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value *x = in[0], *y = in[1];
      if (rank(x) != 3 || rank(y) != 3 || x->shape()[0] != y->shape()[0]) {
        RULE_THROW("bmm", ShapeError) << "expects [B, n, k] and [B, k, m], got "
                                      << x->type.to_string() << " and " << y->type.to_string();
      }
      return Values{b.matmul(x, y)};
    }));

// A per-output-channel bias [O] as [O, 1, 1], to add to an NCHW convolution result. Rules
// build it before the convolution so that it is computed first.
Value* channel_bias(NetBuilder& b, const char* op, Value* bias, Value* w) {
  int64_t o = w->shape().at(0);
  if (bias->shape() != Shape{o}) {
    RULE_THROW(op, ShapeError) << "bias must be [" << o << "] (one per output channel), got "
                               << bias->type.to_string();
  }
  return b.reshape(bias, {o, 1, 1});
}

// conv2d_bias(x, w, bias) = conv2d(x, w) + bias[None, :, None, None]; the add is the
// convolution kernel's epilogue (the bias' reshape + broadcast, being Injective, is a
// kernel of its own for now)
CINN_REGISTER_OP(conv2d_bias)
    .describe("conv2d(x, w, stride, padding, dilation, groups) + bias[o] (NCHW/OIHW, bias [O])")
    .inputs({"x", "w", "bias"})
    .attr("stride", std::vector<int64_t>{1, 1}, "[sh, sw]")
    .attr("padding", std::vector<int64_t>{0, 0}, "zero padding [ph, pw] on both sides")
    .attr("dilation", std::vector<int64_t>{1, 1}, "[dh, dw]")
    .attr("groups", int64_t{1}, "channel groups; divides C and O")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      if (rank(in[1]) != 4) {
        RULE_THROW("conv2d_bias", ShapeError)
            << "w must be 4-D OIHW, got " << in[1]->type.to_string();
      }
      Value* bias = channel_bias(b, "conv2d_bias", in[2], in[1]);
      Value* y = b.conv2d(in[0], in[1], attr<Ints>(a, "stride"), attr<Ints>(a, "padding"),
                          attr<Ints>(a, "dilation"), attr<int64_t>(a, "groups"));
      return Values{b.add(y, bias)};
    }));

// depthwise_conv2d(x, w, bias) = conv2d(x, w, groups=C) (+ bias), w [C * m, 1, kh, kw]
CINN_REGISTER_OP(depthwise_conv2d)
    .describe(
        "conv2d with groups = C (each channel convolved with its own m filters): w is "
        "[C*m, 1, kh, kw]; bias [C*m] is optional")
    .inputs({"x", "w", "bias?"})
    .attr("stride", std::vector<int64_t>{1, 1}, "[sh, sw]")
    .attr("padding", std::vector<int64_t>{0, 0}, "zero padding [ph, pw] on both sides")
    .attr("dilation", std::vector<int64_t>{1, 1}, "[dh, dw]")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value *x = in[0], *w = in[1];
      if (rank(x) != 4 || rank(w) != 4 || w->shape()[1] != 1 ||
          w->shape()[0] % x->shape()[1] != 0) {
        RULE_THROW("depthwise_conv2d", ShapeError)
            << "expects NCHW x and w of shape [C*m, 1, kh, kw]; got x " << x->type.to_string()
            << ", w " << w->type.to_string();
      }
      Value* bias = in.size() > 2 ? channel_bias(b, "depthwise_conv2d", in[2], w) : nullptr;
      Value* y = b.conv2d(x, w, attr<Ints>(a, "stride"), attr<Ints>(a, "padding"),
                          attr<Ints>(a, "dilation"), x->shape()[1]);
      return Values{bias ? b.add(y, bias) : y};
    }));

// max_pool2d / avg_pool2d = pool2d with torch's attribute names; a single k means [k, k]
Value* pool(NetBuilder& b, const char* op, const char* kind, Value* x, const AttrMap& a,
            bool exclusive) {
  Ints kernel = pair_of(op, "kernel_size", attr<Ints>(a, "kernel_size"));
  const auto& st = attr<Ints>(a, "stride");
  Ints stride = st.empty() ? kernel : pair_of(op, "stride", st);
  Ints padding = pair_of(op, "padding", attr<Ints>(a, "padding"));
  return b.pool2d(x, kind, kernel, stride, padding, exclusive);
}

CINN_REGISTER_OP(max_pool2d)
    .describe("max over kernel windows of NCHW x (padding counts as -inf)")
    .inputs({"x"})
    .required_attr("kernel_size", hlir::AttrKind::kInts, "k or [kh, kw]")
    .attr("stride", std::vector<int64_t>{}, "s or [sh, sw]; [] means kernel_size")
    .attr("padding", std::vector<int64_t>{0}, "p or [ph, pw], at most half the kernel")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      return Values{pool(b, "max_pool2d", "max", in[0], a, true)};
    }));

CINN_REGISTER_OP(avg_pool2d)
    .describe(
        "mean over kernel windows of NCHW x; padded zeros count in the divisor when "
        "count_include_pad")
    .inputs({"x"})
    .required_attr("kernel_size", hlir::AttrKind::kInts, "k or [kh, kw]")
    .attr("stride", std::vector<int64_t>{}, "s or [sh, sw]; [] means kernel_size")
    .attr("padding", std::vector<int64_t>{0}, "p or [ph, pw], at most half the kernel")
    .attr("count_include_pad", true, "divide by kh*kw even where the window is padded")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      return Values{pool(b, "avg_pool2d", "avg", in[0], a, !attr<bool>(a, "count_include_pad"))};
    }));

// The [o, n] matrix of adaptive average pooling along one axis: row i averages x over
// [floor(i n / o), ceil((i + 1) n / o)), PyTorch's windows, built from iota.
Value* adaptive_weights(NetBuilder& b, int64_t o, int64_t n, common::Type t) {
  Value* i = b.iota({o, n}, 0);
  Value* j = b.iota({o, n}, 1);
  auto c = [&](int64_t v) { return b.fill_constant({}, static_cast<double>(v), common::Int(64)); };
  Value* start = b.div(b.mul(i, c(n)), c(o));  // integer div rounds down
  Value* end = b.div(b.add(b.mul(b.add(i, c(1)), c(n)), c(o - 1)), c(o));
  Value* inside = b.logical_and(b.compare(j, start, "ge"), b.compare(j, end, "lt"));
  return b.div(b.cast(inside, t), b.cast(b.sub(end, start), t));
}

// adaptive_avg_pool2d(x, [oh, ow]): [1, 1] is a mean over H, W; sizes that divide H and W
// are avg pool2d with kernel = stride = [H / oh, W / ow]; other sizes are
// P_h @ x @ P_w^T with the window-averaging matrices of adaptive_weights (exact windows)
CINN_REGISTER_OP(adaptive_avg_pool2d)
    .describe(
        "mean of NCHW x over PyTorch's adaptive windows: out[.., i, j] averages rows "
        "[floor(i*H/oh), ceil((i+1)*H/oh)) and the same in columns")
    .inputs({"x"})
    .required_attr("output_size", hlir::AttrKind::kInts, "s or [oh, ow]")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Ints o = pair_of("adaptive_avg_pool2d", "output_size", attr<Ints>(a, "output_size"));
      if (rank(x) != 4 || o[0] < 1 || o[1] < 1) {
        RULE_THROW("adaptive_avg_pool2d", ShapeError)
            << "expects NCHW x and output_size >= 1; got x " << x->type.to_string()
            << ", output_size " << hlir::attr_to_string(hlir::Attr(o));
      }
      require_float("adaptive_avg_pool2d", x, "x");
      int64_t h = x->shape()[2], w = x->shape()[3];
      if (o[0] == 1 && o[1] == 1) {
        Value* s = b.reduce(x, "sum", {2, 3}, true);
        return Values{b.mul(s, scalar(b, 1.0 / static_cast<double>(h * w), x))};
      }
      if (h % o[0] == 0 && w % o[1] == 0) {
        Ints k{h / o[0], w / o[1]};
        return Values{b.pool2d(x, "avg", k, k)};
      }
      Value* rows = b.matmul(adaptive_weights(b, o[0], h, x->dtype()), x);  // [N, C, oh, W]
      Value* cols = adaptive_weights(b, o[1], w, x->dtype());               // [ow, W]
      return Values{b.matmul(rows, cols, false, true)};
    }));

// embedding(ids, table) = gather(table, ids, axis 0): table[ids]
CINN_REGISTER_OP(embedding)
    .describe(
        "table[ids]: the rows of table [V, D] at integer ids (out-of-range ids are "
        "clamped, as in gather)")
    .inputs({"ids", "table"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      require_int("embedding", in[0], "ids");
      if (rank(in[1]) != 2) {
        RULE_THROW("embedding", ShapeError)
            << "table must be [V, D], got " << in[1]->type.to_string();
      }
      return Values{b.gather(in[1], in[0], 0)};
    }));

// one_hot(ids, depth) = cast(ids[..., None] == iota(depth), dtype)
CINN_REGISTER_OP(one_hot)
    .describe(
        "cast(ids[..., None] == arange(depth), dtype): ids.shape + [depth]; ids outside "
        "[0, depth) give a row of zeros")
    .inputs({"ids"})
    .required_attr("depth", hlir::AttrKind::kInt, "the number of classes")
    .attr("dtype", common::Float(32), "the result dtype")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* ids = in[0];
      require_int("one_hot", ids, "ids");
      int64_t depth = attr<int64_t>(a, "depth");
      if (depth < 1) RULE_THROW("one_hot", ShapeError) << "depth must be >= 1, got " << depth;
      Shape s = ids->shape(), col = ids->shape();
      s.push_back(depth);
      col.push_back(1);
      Value* hit = b.compare(b.reshape(ids, col), b.iota(s, -1, ids->dtype()), "eq");
      return Values{b.cast(hit, attr<common::Type>(a, "dtype"))};
    }));

// dropout(x, key) = select(u >= p, x / (1 - p), 0), u = random_uniform(key) of x's shape.
// The mask is a function of (key, rng_stream): autodiff recomputes it in the backward
// kernels from the same key instead of saving it (train_step advances the key afterwards).
CINN_REGISTER_OP(dropout)
    .describe(
        "training-mode dropout: each element of x is zeroed with probability p, the rest "
        "scaled by 1 / (1 - p). key (int64 [2]: seed, step) and rng_stream pick the mask as "
        "in random_uniform; the same key gives the same mask on every target. For inference "
        "leave the op out (it is the identity there)")
    .inputs({"x", "key"})
    .attr("p", 0.5, "the probability of zeroing an element, in [0, 1]")
    .attr("rng_stream", int64_t{-1},
          "the random stream (see random_uniform); -1 takes the next free one")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      require_float("dropout", x, "x");
      double p = attr<double>(a, "p");
      if (!(p >= 0.0 && p <= 1.0)) {
        RULE_THROW("dropout", Error) << "p must be in [0, 1], got " << p;
      }
      Value* u = b.call1("random_uniform", {in[1]},
                         {{"shape", x->shape()},
                          {"dtype", common::Float(32)},
                          {"rng_stream", attr<int64_t>(a, "rng_stream")}});
      // u is built first so that its checks (the key's type) apply for every p.
      if (p == 0.0) return Values{x};
      if (p == 1.0) return Values{b.full(x->type, 0.0)};
      Value* keep = b.compare(u, b.full(u->type, p), "ge");
      Value* scaled = b.mul(x, scalar(b, 1.0 / (1.0 - p), x));
      return Values{b.select(keep, scaled, b.full(x->type, 0.0))};
    }));

// scaled_dot_product_attention(q, k, v, mask) = softmax(q k^T * scale + mask) v, with
// scale = 1 / sqrt(E) unless given; a bool mask keeps where true (-inf elsewhere), a float
// mask is added; is_causal keeps j <= i
CINN_REGISTER_OP(scaled_dot_product_attention)
    .describe(
        "softmax(q @ k^T * scale + mask, -1) @ v for q [.., L, E], k [.., S, E], "
        "v [.., S, Ev]; scale=0 means 1/sqrt(E); a bool mask keeps where true, a float "
        "mask is added; is_causal masks j > i")
    .inputs({"q", "k", "v", "mask?"})
    .attr("is_causal", false, "mask out keys after the query's position")
    .attr("scale", 0.0, "the logits' factor; 0 means 1/sqrt(E)")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value *q = in[0], *k = in[1], *v = in[2];
      require_float("scaled_dot_product_attention", q, "q");
      if (rank(q) < 2 || rank(k) < 2 || rank(v) < 2) {
        RULE_THROW("scaled_dot_product_attention", ShapeError)
            << "q, k and v need rank >= 2; got " << q->type.to_string() << ", "
            << k->type.to_string() << ", " << v->type.to_string();
      }
      double scale = attr<double>(a, "scale");
      if (scale == 0.0) scale = 1.0 / std::sqrt(static_cast<double>(q->shape().back()));
      Value* s = b.mul(b.matmul(q, k, false, true), scalar(b, scale, q));  // [.., L, S]
      Value* ninf = scalar(b, -HUGE_VAL, q);
      if (in.size() > 3) {
        Value* mask = in[3];
        if (mask->dtype().is_bool()) {
          Shape full = hlir::Builder::broadcast_shapes("scaled_dot_product_attention", s->shape(),
                                                       mask->shape());
          if (full != s->shape()) s = b.broadcast_to(s, full);
          if (mask->shape() != full) mask = b.broadcast_to(mask, full);
          s = b.select(mask, s, b.broadcast_to(ninf, full));
        } else {
          s = b.add(s, mask);
        }
      }
      if (attr<bool>(a, "is_causal")) {
        const Shape& sh = s->shape();
        Ints ls{sh[sh.size() - 2], sh[sh.size() - 1]};
        Value* keep = b.broadcast_to(b.compare(b.iota(ls, 1), b.iota(ls, 0), "le"), sh);
        s = b.select(keep, s, b.broadcast_to(ninf, sh));
      }
      return Values{b.matmul(b.softmax(s, {-1}), v)};
    }));

}  // namespace
}  // namespace cinn::frontend::composite
