// Composite activations. Each rule's formula is in its comment and its description.
#include <cmath>

#include "cinn/frontend/composite/rule_util.h"

namespace cinn::frontend::composite {
namespace {

// The gradient g where lo < x < hi (`closed`: lo <= x <= hi), else 0: PyTorch's choice at
// the kinks of hardtanh, relu6 and hardsigmoid (open) and of clamp (closed), where max and
// min's own rule would split g evenly.
Value* pass_between(NetBuilder& b, Value* x, Value* g, double lo, double hi, bool closed) {
  Value* in = b.logical_and(b.compare(x, scalar(b, lo, x), closed ? "ge" : "gt"),
                            b.compare(x, scalar(b, hi, x), closed ? "le" : "lt"));
  return b.select(in, g, b.full(g->type, 0.0));
}

// relu(x) = max(x, 0)
CINN_REGISTER_OP(relu)
    .describe("max(x, 0)")
    .inputs({"x"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.max(in[0], scalar(b, 0.0, in[0]))};
    }))
    // g where y > 0: max's rule would give half the gradient at exactly 0, PyTorch none.
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      Value* y = n.outputs[0];
      Value* zero = b.full(y->type, 0.0);
      return Values{b.select(b.compare(y, zero, "gt"), g[0], zero)};
    }));

// relu6(x) = min(max(x, 0), 6)
CINN_REGISTER_OP(relu6)
    .describe("min(max(x, 0), 6)")
    .inputs({"x"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.min(b.max(in[0], scalar(b, 0.0, in[0])), scalar(b, 6.0, in[0]))};
    }))
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      return Values{pass_between(b, n.inputs[0], g[0], 0.0, 6.0, false)};
    }));

// leaky_relu(x) = x > 0 ? x : alpha * x
CINN_REGISTER_OP(leaky_relu)
    .describe("x > 0 ? x : alpha * x")
    .inputs({"x"})
    .attr("alpha", 0.01, "the slope for negative x")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Value* pos = b.compare(x, scalar(b, 0.0, x), "gt");
      return Values{b.select(pos, x, b.mul(x, scalar(b, attr<double>(a, "alpha"), x)))};
    }));

// elu(x) = x > 0 ? x : alpha * (exp(x) - 1)
CINN_REGISTER_OP(elu)
    .describe("x > 0 ? x : alpha * (exp(x) - 1)")
    .inputs({"x"})
    .attr("alpha", 1.0, "the scale of the negative part")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Value* neg =
          b.mul(b.sub(b.exp(x), scalar(b, 1.0, x)), scalar(b, attr<double>(a, "alpha"), x));
      return Values{b.select(b.compare(x, scalar(b, 0.0, x), "gt"), x, neg)};
    }));

// selu(x) = scale * (x > 0 ? x : alpha * (exp(x) - 1)), alpha = 1.6732632423543772,
// scale = 1.0507009873554805 (Klambauer et al. 2017, as in PyTorch)
CINN_REGISTER_OP(selu)
    .describe("1.0507009873554805 * elu(x, alpha=1.6732632423543772)")
    .inputs({"x"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* x = in[0];
      return Values{b.mul(b.elu(x, 1.6732632423543772), scalar(b, 1.0507009873554805, x))};
    }));

// gelu(x) = 0.5 x (1 + erf(x / sqrt(2)))                              approximate="none"
//         = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))         approximate="tanh"
CINN_REGISTER_OP(gelu)
    .describe(
        "0.5 * x * (1 + erf(x / sqrt(2))); approximate='tanh': 0.5 * x * (1 + tanh("
        "sqrt(2 / pi) * (x + 0.044715 * x^3)))")
    .inputs({"x"})
    .attr("approximate", std::string("none"), "none (erf form) or tanh")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      const auto& approx = attr<std::string>(a, "approximate");
      Value* inner;
      if (approx == "none") {
        inner = b.erf(b.mul(x, scalar(b, M_SQRT1_2, x)));
      } else if (approx == "tanh") {
        Value* cube = b.mul(b.mul(x, x), x);
        Value* arg = b.add(x, b.mul(cube, scalar(b, 0.044715, x)));
        inner = b.tanh(b.mul(arg, scalar(b, std::sqrt(2.0 / M_PI), x)));
      } else {
        RULE_THROW("gelu", Error) << "attribute 'approximate' must be none or tanh; got '" << approx
                                  << "'";
      }
      Value* half_x = b.mul(x, scalar(b, 0.5, x));
      return Values{b.mul(half_x, b.add(inner, scalar(b, 1.0, x)))};
    }));

// sigmoid(x) = 1 / (1 + exp(-x))
CINN_REGISTER_OP(sigmoid)
    .describe("1 / (1 + exp(-x))")
    .inputs({"x"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* one = scalar(b, 1.0, in[0]);
      return Values{b.div(one, b.add(one, b.exp(b.neg(in[0]))))};
    }));

// silu(x) = x * sigmoid(x)
CINN_REGISTER_OP(silu)
    .describe("x * sigmoid(x)")
    .inputs({"x"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.mul(in[0], b.sigmoid(in[0]))};
    }));

// hard_sigmoid(x) = relu6(x + 3) / 6  (PyTorch's hardsigmoid)
CINN_REGISTER_OP(hard_sigmoid)
    .describe("relu6(x + 3) / 6")
    .inputs({"x"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* x = in[0];
      return Values{b.div(b.relu6(b.add(x, scalar(b, 3.0, x))), scalar(b, 6.0, x))};
    }))
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      Value* x = n.inputs[0];
      return Values{b.mul(pass_between(b, x, g[0], -3.0, 3.0, false), scalar(b, 1.0 / 6.0, x))};
    }));

// hard_swish(x) = x * relu6(x + 3) / 6
CINN_REGISTER_OP(hard_swish)
    .describe("x * relu6(x + 3) / 6")
    .inputs({"x"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.mul(in[0], b.hard_sigmoid(in[0]))};
    }))
    // PyTorch's: 0 for x < -3, g * (x / 3 + 0.5) for -3 <= x <= 3, g above.
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      Value* x = n.inputs[0];
      Value* slope = b.mul(g[0], b.add(b.div(x, scalar(b, 3.0, x)), scalar(b, 0.5, x)));
      Value* upper = b.select(b.compare(x, scalar(b, 3.0, x), "le"), slope, g[0]);
      return Values{b.select(b.compare(x, scalar(b, -3.0, x), "lt"), b.full(g[0]->type, 0.0), upper)};
    }));

// hard_tanh(x) = min(max(x, min_val), max_val)
CINN_REGISTER_OP(hard_tanh)
    .describe("min(max(x, min_val), max_val)")
    .inputs({"x"})
    .attr("min_val", -1.0, "the lower bound")
    .attr("max_val", 1.0, "the upper bound")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Value* lo = scalar(b, attr<double>(a, "min_val"), x);
      return Values{b.min(b.max(x, lo), scalar(b, attr<double>(a, "max_val"), x))};
    }))
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      return Values{pass_between(b, n.inputs[0], g[0], attr<double>(n.attrs, "min_val"),
                                 attr<double>(n.attrs, "max_val"), false)};
    }));

// softplus(x) = beta * x > threshold ? x : log(1 + exp(beta * x)) / beta, the log computed
// as max(beta x, 0) + log1p(exp(-|beta x|)) so that it neither overflows nor cancels
CINN_REGISTER_OP(softplus)
    .describe("beta * x > threshold ? x : log(1 + exp(beta * x)) / beta")
    .inputs({"x"})
    .attr("beta", 1.0, "the sharpness")
    .attr("threshold", 20.0, "above it (in beta * x) the result is x")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      double beta = attr<double>(a, "beta");
      Value* bx = b.mul(x, scalar(b, beta, x));
      Value* sp = b.add(b.max(bx, scalar(b, 0.0, x)), log1p(b, b.exp(b.neg(b.abs(bx)))));
      sp = b.div(sp, scalar(b, beta, x));
      Value* linear = b.compare(bx, scalar(b, attr<double>(a, "threshold"), x), "gt");
      return Values{b.select(linear, x, sp)};
    }));

// mish(x) = x * tanh(softplus(x))
CINN_REGISTER_OP(mish)
    .describe("x * tanh(softplus(x))")
    .inputs({"x"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.mul(in[0], b.tanh(b.softplus(in[0])))};
    }));

// softsign(x) = x / (1 + |x|)
CINN_REGISTER_OP(softsign)
    .describe("x / (1 + |x|)")
    .inputs({"x"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* x = in[0];
      return Values{b.div(x, b.add(scalar(b, 1.0, x), b.abs(x)))};
    }));

// log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)): exp never overflows
CINN_REGISTER_OP(log_sigmoid)
    .describe("min(x, 0) - log1p(exp(-|x|))")
    .inputs({"x"})
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* x = in[0];
      Value* soft = log1p(b, b.exp(b.neg(b.abs(x))));
      return Values{b.sub(b.min(x, scalar(b, 0.0, x)), soft)};
    }));

// prelu(x, alpha) = x > 0 ? x : alpha * x, alpha one slope per channel (x's axis 1) or
// a single one (shape [1])
CINN_REGISTER_OP(prelu)
    .describe(
        "x > 0 ? x : alpha * x; alpha has one entry per channel (axis 1 of x) or one "
        "entry for all")
    .inputs({"x", "alpha"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value *x = in[0], *alpha = in[1];
      int64_t n = hlir::num_elements(alpha->shape());
      if (rank(alpha) > 1 || (n != 1 && (rank(x) < 2 || n != x->shape()[1]))) {
        RULE_THROW("prelu", ShapeError)
            << "alpha " << alpha->type.to_string() << " must have shape [1] or [C] with C = x's "
            << "axis 1 (x is " << x->type.to_string() << ")";
      }
      alpha = n == 1 ? b.reshape(alpha, {}) : along_axis(b, alpha, 1, rank(x));
      Value* pos = b.compare(x, scalar(b, 0.0, x), "gt");
      return Values{b.select(pos, x, b.mul(x, alpha))};
    }));

// sign(x) = (x > 0) - (x < 0), in x's dtype
CINN_REGISTER_OP(sign)
    .describe("(x > 0) - (x < 0): 1, 0 or -1 in x's dtype")
    .inputs({"x"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* x = in[0];
      Value* zero = scalar(b, 0.0, x);
      return Values{b.sub(b.cast(b.compare(x, zero, "gt"), x->dtype()),
                          b.cast(b.compare(x, zero, "lt"), x->dtype()))};
    }));

// square(x) = x * x
CINN_REGISTER_OP(square).describe("x * x").inputs({"x"}).decompose(net_rule(
    [](NetBuilder& b, const Values& in, const AttrMap&) { return Values{b.mul(in[0], in[0])}; }));

// reciprocal(x) = 1 / x (integers are converted to float32 first, like PyTorch)
CINN_REGISTER_OP(reciprocal)
    .describe("1 / x; integer x is converted to float32 first")
    .inputs({"x"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* x = in[0]->dtype().is_float() ? in[0] : b.cast(in[0], common::Float(32));
      return Values{b.div(scalar(b, 1.0, x), x)};
    }));

// softmax(x, axis) = exp(x - max(x)) / sum(exp(x - max(x))), reductions over `axis`
CINN_REGISTER_OP(softmax)
    .describe("exp(x - max(x, axis)) / sum(exp(x - max(x, axis)), axis)")
    .inputs({"x"})
    .attr("axis", std::vector<int64_t>{-1}, "axes normalized over")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      const auto& axis = attr<Ints>(a, "axis");
      Value* e = b.exp(b.sub(in[0], b.reduce(in[0], "max", axis, true)));
      return Values{b.div(e, b.reduce(e, "sum", axis, true))};
    }))
    // y (g - sum(g y)): the decomposition's gradient would also run back through the max,
    // whose share cancels only up to rounding; this one is exact and cheaper.
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      Value* y = n.outputs[0];
      const auto& axis = attr<Ints>(n.attrs, "axis");
      return Values{b.mul(y, b.sub(g[0], b.reduce(b.mul(g[0], y), "sum", axis, true)))};
    }));

// log_softmax(x, axis) = s - log(sum(exp(s))) with s = x - max(x), reductions over `axis`
CINN_REGISTER_OP(log_softmax)
    .describe("s - log(sum(exp(s), axis)) with s = x - max(x, axis)")
    .inputs({"x"})
    .attr("axis", std::vector<int64_t>{-1}, "axes normalized over")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      const auto& axis = attr<Ints>(a, "axis");
      Value* s = b.sub(in[0], b.reduce(in[0], "max", axis, true));
      return Values{b.sub(s, b.log(b.reduce(b.exp(s), "sum", axis, true)))};
    }))
    // g - softmax(x) sum(g) with softmax(x) = exp(y): through the decomposition the
    // gradient would divide by the sum of exponentials and pass through the max, which
    // loses accuracy for large logits (and cross_entropy differentiates through this rule).
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      const auto& axis = attr<Ints>(n.attrs, "axis");
      return Values{b.sub(g[0], b.mul(b.exp(n.outputs[0]), b.reduce(g[0], "sum", axis, true)))};
    }));

// logsumexp(x, axis) = m + log(sum(exp(x - m))), m = max(x) over `axis` (taken as 0 where
// it is infinite, so that rows of -inf give -inf rather than NaN, as in PyTorch)
CINN_REGISTER_OP(logsumexp)
    .describe("m + log(sum(exp(x - m), axis)) with m = max(x, axis) (0 where infinite)")
    .inputs({"x"})
    .attr("axis", std::vector<int64_t>{}, "axes to reduce; [] reduces all")
    .attr("keepdim", false, "keep reduced axes as size 1")
    .decompose(net_rule_in_float([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      require_float("logsumexp", x, "x");
      Ints axes = normalize_axes("logsumexp", attr<Ints>(a, "axis"), rank(x));
      bool keepdim = attr<bool>(a, "keepdim");
      // The max is taken twice, with and without keepdim, rather than reshaped: the four
      // reductions then share one kernel (a reshape would be an Injective epilogue).
      auto finite_max = [&](bool keep) {
        Value* m = b.reduce(x, "max", axes, keep);
        return b.select(b.isinf(m), b.full(m->type, 0.0), m);
      };
      Value* s = b.reduce(b.exp(b.sub(x, finite_max(true))), "sum", axes, keepdim);
      return Values{b.add(b.log(s), keepdim ? finite_max(true) : finite_max(false))};
    }))
    // g exp(x - y), the softmax of x over the axes, computed from the result directly
    // rather than back through the max and the division of the decomposition.
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      Value* x = n.inputs[0];
      Ints axes = normalize_axes("logsumexp", attr<Ints>(n.attrs, "axis"), rank(x));
      Shape keep = x->shape();
      for (int64_t a : axes) keep[a] = 1;
      Value* yk = b.reshape(n.outputs[0], keep);
      Value* gk = b.reshape(g[0], keep);
      return Values{b.mul(gk, b.exp(b.sub(x, yk)))};
    }));

// clip(x, min, max) = min(max(x, min), max); an infinite bound is no bound
CINN_REGISTER_OP(clip)
    .describe("min(max(x, min), max) (torch.clamp); infinite bounds are left out")
    .inputs({"x"})
    .attr("min", -HUGE_VAL, "the lower bound")
    .attr("max", HUGE_VAL, "the upper bound")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      double lo = attr<double>(a, "min"), hi = attr<double>(a, "max");
      if (!std::isinf(lo)) x = b.max(x, scalar(b, lo, x));
      if (!std::isinf(hi)) x = b.min(x, scalar(b, hi, x));
      return Values{x};
    }))
    .vjp(net_vjp([](NetBuilder& b, const hlir::Node& n, const Values& g) {
      return Values{pass_between(b, n.inputs[0], g[0], attr<double>(n.attrs, "min"),
                                 attr<double>(n.attrs, "max"), true)};
    }));

}  // namespace
}  // namespace cinn::frontend::composite
