// Composite normalization layers. Each rule's formula is in its comment and its
// description. Statistics are reductions with keepdim so that they broadcast back without
// copies, and each rule's reductions share one input shape and axes so that they fuse.
#include "cinn/frontend/composite/rule_util.h"

namespace cinn::frontend::composite {
namespace {

// (x - mean) * rsqrt(var + eps) over `axes`, var the biased variance; also gives the mean
// and variance (keepdim) when asked.
Value* standardize(NetBuilder& b, Value* x, const Ints& axes, double eps,
                   Value** mean_out = nullptr, Value** var_out = nullptr) {
  double n = static_cast<double>(count_over(x->shape(), axes));
  Value* inv_n = scalar(b, 1.0 / n, x);
  Value* mean = b.mul(b.reduce(x, "sum", axes, true), inv_n);
  Value* xc = b.sub(x, mean);
  Value* var = b.mul(b.reduce(b.mul(xc, xc), "sum", axes, true), inv_n);
  if (mean_out) *mean_out = mean;
  if (var_out) *var_out = var;
  return b.mul(xc, b.rsqrt(b.add(var, scalar(b, eps, x))));
}

// An affine parameter of the normalized axes' shape (or that shape flattened), reshaped
// to broadcast against x's trailing axes.
Value* trailing_param(NetBuilder& b, const char* op, const char* what, Value* p,
                      const Shape& norm_shape) {
  if (p->shape() == norm_shape) return p;
  if (p->shape() == Shape{hlir::num_elements(norm_shape)}) return b.reshape(p, norm_shape);
  RULE_THROW(op, ShapeError) << what << " must have shape " << hlir::shape_to_string(norm_shape)
                             << " (the normalized axes), got " << p->type.to_string();
}

// A per-channel parameter [C] of NCHW-like x, checked; reshaped to [1, C, 1, ...] (the
// shape of per-channel statistics) when `along` is set.
Value* channel_param(NetBuilder& b, const char* op, const char* what, Value* p, Value* x,
                     bool along = true) {
  if (p->shape() != Shape{x->shape()[1]}) {
    RULE_THROW(op, ShapeError) << what << " must be [" << x->shape()[1] << "] (one per channel "
                               << "of x " << x->type.to_string() << "), got "
                               << p->type.to_string();
  }
  return along ? along_axis(b, p, 1, rank(x)) : p;
}

void require_rank(const char* op, Value* x, int64_t min_rank, const char* layout) {
  if (rank(x) < min_rank) {
    RULE_THROW(op, ShapeError) << "x must be " << layout << " (rank >= " << min_rank << "), got "
                               << x->type.to_string();
  }
}

Ints axes_from(int64_t first, int64_t rank) {
  Ints axes;
  for (int64_t d = first; d < rank; ++d) axes.push_back(d);
  return axes;
}

// layer_norm(x) = (x - mean) / sqrt(var + eps) * scale + bias over axes begin_norm_axis..
CINN_REGISTER_OP(layer_norm)
    .describe(
        "(x - mean) / sqrt(var + epsilon) * scale + bias, statistics over the axes from "
        "begin_norm_axis on (biased var); scale and bias have those axes' shape")
    .inputs({"x", "scale", "bias"})
    .attr("epsilon", 1e-5, "added to the variance")
    .attr("begin_norm_axis", int64_t{-1}, "the first normalized axis")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      require_float("layer_norm", x, "x");
      int64_t first = normalize_axis("layer_norm", attr<int64_t>(a, "begin_norm_axis"), rank(x));
      Shape norm_shape(x->shape().begin() + first, x->shape().end());
      Value* g = trailing_param(b, "layer_norm", "scale", in[1], norm_shape);
      Value* be = trailing_param(b, "layer_norm", "bias", in[2], norm_shape);
      Value* y = standardize(b, x, axes_from(first, rank(x)), attr<double>(a, "epsilon"));
      return Values{b.add(b.mul(y, g), be)};
    }));

// rms_norm(x) = x * rsqrt(mean(x^2) + eps) * scale over axes begin_norm_axis..
CINN_REGISTER_OP(rms_norm)
    .describe(
        "x / sqrt(mean(x^2) + epsilon) * scale, the mean over the axes from "
        "begin_norm_axis on; scale has those axes' shape")
    .inputs({"x", "scale"})
    .attr("epsilon", 1e-6, "added to the mean square")
    .attr("begin_norm_axis", int64_t{-1}, "the first normalized axis")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      require_float("rms_norm", x, "x");
      int64_t first = normalize_axis("rms_norm", attr<int64_t>(a, "begin_norm_axis"), rank(x));
      Shape norm_shape(x->shape().begin() + first, x->shape().end());
      Value* g = trailing_param(b, "rms_norm", "scale", in[1], norm_shape);
      Ints axes = axes_from(first, rank(x));
      double n = static_cast<double>(count_over(x->shape(), axes));
      Value* ms = b.mul(b.reduce(b.mul(x, x), "sum", axes, true), scalar(b, 1.0 / n, x));
      Value* r = b.rsqrt(b.add(ms, scalar(b, attr<double>(a, "epsilon"), x)));
      return Values{b.mul(b.mul(x, r), g)};
    }));

// batch_norm, channels on axis 1:
//   inference: y = x * a + (bias - mean * a) with a = scale / sqrt(var + eps), per channel
//   training:  y = (x - m) / sqrt(v + eps) * scale + bias with m, v the batch mean and
//              biased variance over every axis but 1; new_mean = (1 - momentum) mean +
//              momentum m, new_var = (1 - momentum) var + momentum v n / (n - 1)
CINN_REGISTER_OP(batch_norm)
    .describe(
        "per-channel (axis 1) normalization. Inference: (x - mean) / sqrt(var + "
        "epsilon) * scale + bias, one result. Training: the batch statistics instead, "
        "and three results (y, new_mean, new_var) with new = (1 - momentum) * running + "
        "momentum * batch (the batch variance unbiased there, like PyTorch)")
    .inputs({"x", "scale", "bias", "mean", "var"})
    .attr("epsilon", 1e-5, "added to the variance")
    .attr("momentum", 0.1, "weight of the batch statistics in the running ones")
    .attr("training", false, "normalize by the batch statistics and update the running ones")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      require_float("batch_norm", x, "x");
      require_rank("batch_norm", x, 2, "[N, C, ...]");
      const char* names[] = {"x", "scale", "bias", "mean", "var"};
      Values p;
      for (size_t i = 1; i < 5; ++i)
        p.push_back(channel_param(b, "batch_norm", names[i], in[i], x));
      double eps = attr<double>(a, "epsilon");
      if (!attr<bool>(a, "training")) {
        Value* k = b.mul(p[0], b.rsqrt(b.add(p[3], scalar(b, eps, x))));
        return Values{b.add(b.mul(x, k), b.sub(p[1], b.mul(p[2], k)))};
      }
      Ints axes{0};
      for (int64_t d = 2; d < rank(x); ++d) axes.push_back(d);
      Value *m = nullptr, *v = nullptr;
      Value* y = b.add(b.mul(standardize(b, x, axes, eps, &m, &v), p[0]), p[1]);
      double n = static_cast<double>(count_over(x->shape(), axes));
      if (n < 2) {
        RULE_THROW("batch_norm", ShapeError) << "training needs more than one value per channel, "
                                             << "x is " << x->type.to_string();
      }
      double mom = attr<double>(a, "momentum");
      Shape c{x->shape()[1]};
      Value* keep = scalar(b, 1.0 - mom, x);
      Value* new_mean = b.add(b.mul(in[3], keep), b.mul(b.reshape(m, c), scalar(b, mom, x)));
      Value* unbiased = b.mul(b.reshape(v, c), scalar(b, mom * n / (n - 1.0), x));
      Value* new_var = b.add(b.mul(in[4], keep), unbiased);
      return Values{y, new_mean, new_var};
    }));

// group_norm(x) = standardize(reshape(x, [N, G, -1]), axis 2), reshaped back, * scale + bias
CINN_REGISTER_OP(group_norm)
    .describe(
        "x [N, C, ...] with its channels in num_groups groups: (x - mean) / sqrt(var + "
        "epsilon) per (sample, group), then * scale + bias per channel")
    .inputs({"x", "scale", "bias"})
    .required_attr("num_groups", hlir::AttrKind::kInt, "G; divides C")
    .attr("epsilon", 1e-5, "added to the variance")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      require_float("group_norm", x, "x");
      require_rank("group_norm", x, 2, "[N, C, ...]");
      int64_t g = attr<int64_t>(a, "num_groups"), c = x->shape()[1];
      if (g < 1 || c % g != 0) {
        RULE_THROW("group_norm", ShapeError) << "num_groups=" << g << " must divide the " << c
                                             << " channels of x " << x->type.to_string();
      }
      Value* scale = channel_param(b, "group_norm", "scale", in[1], x);
      Value* bias = channel_param(b, "group_norm", "bias", in[2], x);
      Value* grouped = b.reshape(x, {x->shape()[0], g, -1});
      Value* y = standardize(b, grouped, {2}, attr<double>(a, "epsilon"));
      return Values{b.add(b.mul(b.reshape(y, x->shape()), scale), bias)};
    }));

// instance_norm(x) = (x - mean) / sqrt(var + eps) * scale + bias, statistics per (n, c)
// over the spatial axes
CINN_REGISTER_OP(instance_norm)
    .describe(
        "x [N, C, ...]: (x - mean) / sqrt(var + epsilon) per sample and channel over "
        "the remaining axes, then * scale + bias per channel")
    .inputs({"x", "scale", "bias"})
    .attr("epsilon", 1e-5, "added to the variance")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      require_float("instance_norm", x, "x");
      require_rank("instance_norm", x, 3, "[N, C, ...]");
      // The parameters go [C] -> [N, C] -> [N, C, 1, ...]: every step has a shape of the
      // statistics' reduction (its result with or without the reduced axes), so that they
      // fuse into its kernel rather than being broadcast copies of x's size.
      Shape nc{x->shape()[0], x->shape()[1]}, stat = nc;
      stat.resize(x->shape().size(), 1);
      Value* scale = b.reshape(
          b.broadcast_to(channel_param(b, "instance_norm", "scale", in[1], x, false), nc), stat);
      Value* bias = b.reshape(
          b.broadcast_to(channel_param(b, "instance_norm", "bias", in[2], x, false), nc), stat);
      Value* y = standardize(b, x, axes_from(2, rank(x)), attr<double>(a, "epsilon"));
      return Values{b.add(b.mul(y, scale), bias)};
    }));

}  // namespace
}  // namespace cinn::frontend::composite
