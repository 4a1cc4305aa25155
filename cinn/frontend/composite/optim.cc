// Optimizer updates: one step of SGD (momentum, weight decay, Nesterov), Adam and AdamW for
// one parameter tensor, with PyTorch's formulas (torch.optim). Each takes the parameter,
// its gradient and its optimizer state and returns the new parameter and the new state, so
// that a training step is one program: forward, gradients (autodiff.h), then these.
#include "cinn/frontend/composite/rule_util.h"

namespace cinn::frontend::composite {
namespace {

// A float scalar input (the step count, the learning rate) in `like`'s dtype.
Value* float_scalar(NetBuilder& b, const char* op, Value* v, const char* name, Value* like) {
  if (!v->shape().empty() || !v->dtype().is_float()) {
    RULE_THROW(op, DTypeError) << name << " must be a float scalar (shape []), got " << v->type.to_string();
  }
  return v->dtype() == like->dtype() ? v : b.cast(v, like->dtype());
}

// Every tensor input has the parameter's shape and float dtype.
void check_state(const char* op, const Values& in, const std::vector<const char*>& names) {
  require_float(op, in[0], names[0]);
  for (size_t i = 1; i < names.size(); ++i) {
    if (!(in[i]->type == in[0]->type)) {
      RULE_THROW(op, ShapeError) << names[i] << " must be " << in[0]->type.to_string() << " like "
                                 << names[0] << ", got " << in[i]->type.to_string();
    }
  }
}

// g + weight_decay * p (L2 regularization through the gradient)
Value* decayed(NetBuilder& b, Value* g, Value* p, double wd) {
  return wd == 0.0 ? g : b.add(g, b.mul(p, scalar(b, wd, p)));
}

// sgd: g' = grad + wd p; v' = momentum v + (1 - dampening) g'; d = nesterov ? g' + momentum v'
// : v' (d = g' without momentum); p' = p - lr d. The velocity starts at zeros. PyTorch's first
// step sets v' = g' whatever the dampening: with dampening the step count t (including this
// step) is an input, and step 1 keeps the whole gradient.
CINN_REGISTER_OP(sgd_update)
    .describe("one SGD step (torch.optim.SGD) at learning rate lr (a float scalar value): "
              "returns (param - lr * d, velocity') with "
              "g = grad + weight_decay * param, velocity' = momentum * velocity + (1 - "
              "dampening) * g (g itself at step 1), d = nesterov ? g + momentum * velocity' : "
              "velocity' (g without momentum); step (the count including this step, a float "
              "scalar) is needed with dampening")
    .inputs({"param", "grad", "velocity", "lr", "step?"})
    .attr("momentum", 0.0, "the velocity's decay")
    .attr("dampening", 0.0, "the share of the gradient left out of the velocity after the first step")
    .attr("weight_decay", 0.0, "L2 penalty added to the gradient")
    .attr("nesterov", false, "Nesterov momentum")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      check_state("sgd_update", in, {"param", "grad", "velocity"});
      Value *p = in[0], *v = in[2];
      Value* lr = float_scalar(b, "sgd_update", in[3], "lr", p);
      double mu = attr<double>(a, "momentum");
      Value* g = decayed(b, in[1], p, attr<double>(a, "weight_decay"));
      Value* d = g;
      if (mu != 0.0) {
        double damp = attr<double>(a, "dampening");
        Value* gd = g;
        if (damp != 0.0) {
          if (in.size() < 5) {
            RULE_THROW("sgd_update", Error)
                << "dampening needs `step`, the step count including this one (the first step "
                   "keeps the whole gradient, as torch.optim.SGD)";
          }
          Value* t = float_scalar(b, "sgd_update", in[4], "step", p);
          Value* keep = b.select(b.greater(t, scalar(b, 1.0, t)), scalar(b, 1.0 - damp, t), scalar(b, 1.0, t));
          gd = b.mul(g, keep);
        }
        v = b.add(b.mul(v, scalar(b, mu, v)), gd);
        d = attr<bool>(a, "nesterov") ? b.add(g, b.mul(v, scalar(b, mu, v))) : v;
      } else if (attr<bool>(a, "nesterov")) {
        RULE_THROW("sgd_update", Error) << "nesterov needs a momentum";
      }
      return Values{b.sub(p, b.mul(d, lr)), v};
    }));

// Adam / AdamW with step t (the count including this step, a scalar input):
//   g = grad (+ wd p for Adam); m' = b1 m + (1 - b1) g; v' = b2 v + (1 - b2) g^2;
//   p' = p (1 - lr wd for AdamW) - lr / (1 - b1^t) * m' / (sqrt(v') / sqrt(1 - b2^t) + eps)
Values adam(NetBuilder& b, const char* op, const Values& in, const AttrMap& a, bool decoupled) {
  check_state(op, in, {"param", "grad", "m", "v"});
  Value *p = in[0], *m = in[2], *v = in[3];
  Value* t = float_scalar(b, op, in[4], "step", p);
  Value* lr = float_scalar(b, op, in[5], "lr", p);
  double b1 = attr<double>(a, "beta1"), b2 = attr<double>(a, "beta2");
  double eps = attr<double>(a, "eps"), wd = attr<double>(a, "weight_decay");
  Value* g = decoupled ? in[1] : decayed(b, in[1], p, wd);
  if (decoupled && wd != 0.0) p = b.mul(p, b.sub(scalar(b, 1.0, lr), b.mul(lr, scalar(b, wd, lr))));
  m = b.add(b.mul(m, scalar(b, b1, m)), b.mul(g, scalar(b, 1.0 - b1, g)));
  v = b.add(b.mul(v, scalar(b, b2, v)), b.mul(b.mul(g, g), scalar(b, 1.0 - b2, g)));
  auto correction = [&](double beta) {  // 1 - beta^t
    return b.sub(scalar(b, 1.0, t), b.pow(scalar(b, beta, t), t));
  };
  Value* step = b.div(lr, correction(b1));
  Value* denom = b.add(b.div(b.sqrt(v), b.sqrt(correction(b2))), scalar(b, eps, v));
  return Values{b.sub(p, b.mul(step, b.div(m, denom))), m, v};
}

hlir::OpInfo& adam_op(const char* name, const char* doc, double wd) {
  return hlir::OpRegistry::global()
      .add(name)
      .describe(doc)
      .inputs({"param", "grad", "m", "v", "step", "lr"})
      .attr("beta1", 0.9, "the first moment's decay")
      .attr("beta2", 0.999, "the second moment's decay")
      .attr("eps", 1e-8, "added to the denominator")
      .attr("weight_decay", wd, "L2 penalty (Adam) or decoupled decay (AdamW)");
}

[[maybe_unused]] auto& adam_update =
    adam_op("adam_update",
            "one Adam step (torch.optim.Adam): returns (param', m', v'); step is the float "
            "step count including this one, lr the learning rate (float scalars); "
            "weight_decay adds wd * param to the gradient",
            0.0)
        .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
          return adam(b, "adam_update", in, a, false);
        }));

[[maybe_unused]] auto& adamw_update =
    adam_op("adamw_update",
            "one AdamW step (torch.optim.AdamW): returns (param', m', v'); step is the float "
            "step count including this one, lr the learning rate (float scalars); the "
            "parameter decays by lr * weight_decay first",
            0.01)
        .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
          return adam(b, "adamw_update", in, a, true);
        }));

}  // namespace
}  // namespace cinn::frontend::composite
