#include "cinn/frontend/train_step.h"

#include <set>

#include "cinn/frontend/autodiff.h"
#include "cinn/frontend/passes.h"

namespace cinn::frontend {

Optimizer Optimizer::sgd(double lr, double momentum, double weight_decay) {
  Optimizer o;
  o.kind = Kind::kSGD;
  o.lr = lr;
  o.momentum = momentum;
  o.weight_decay = weight_decay;
  return o;
}

Optimizer Optimizer::adam(double lr, double weight_decay) {
  Optimizer o;
  o.kind = Kind::kAdam;
  o.lr = lr;
  o.weight_decay = weight_decay;
  return o;
}

Optimizer Optimizer::adamw(double lr, double weight_decay) {
  Optimizer o = adam(lr, weight_decay);
  o.kind = Kind::kAdamW;
  return o;
}

std::vector<std::string> Optimizer::slots() const {
  if (kind != Kind::kSGD) return {"exp_avg", "exp_avg_sq"};
  if (momentum != 0.0) return {"momentum_buffer"};
  return {};
}

bool Optimizer::counts_steps() const {
  return kind != Kind::kSGD || (momentum != 0.0 && dampening != 0.0);
}

const char* Optimizer::name() const {
  switch (kind) {
    case Kind::kSGD: return "sgd";
    case Kind::kAdam: return "adam";
    case Kind::kAdamW: return "adamw";
  }
  return "?";
}

Program train_step(const Program& p, const Value* loss, const std::vector<const Value*>& params,
                   const Optimizer& opt, const std::vector<std::pair<const Value*, const Value*>>& updates,
                   const std::vector<const Value*>& rng_keys) {
  if (params.empty()) CINN_THROW(Error) << "train_step: no parameters to train";
  GraphCopy copy(p, "train_step");
  std::shared_ptr<hlir::Graph> g = copy.graph;
  Value* l = copy(loss, "loss");
  std::set<const Value*> seen;
  std::vector<Value*> w;  // append_gradients checks that these are float inputs
  for (const Value* v : params) {
    if (v && !seen.insert(v).second) CINN_THROW(Error) << "train_step: the parameter '" << v->name << "' is listed twice";
    w.push_back(copy(v, "parameter"));
  }
  // Updated states and random keys: inputs of p, each in one role only.
  auto claim = [&](const Value* v, const char* what, const char* again) {
    if (p.graph().input_index(v) < 0) {
      CINN_THROW(Error) << "train_step: the " << what << " '" << (v ? v->name : "null")
                        << "' is not an input of the program";
    }
    if (!seen.insert(v).second) CINN_THROW(Error) << "train_step: '" << v->name << "' " << again;
  };
  std::vector<std::pair<Value*, Value*>> upd;
  for (auto [in, value] : updates) {
    claim(in, "updated state", "is both trained and updated, or updated twice");
    Value* nv = copy(value, "update");
    if (!(nv->type == in->type)) {
      CINN_THROW(ShapeError) << "train_step: the update of '" << in->name << "' must be "
                             << in->type.to_string() << ", got " << nv->type.to_string();
    }
    upd.push_back({copy(in, "updated state"), nv});
  }
  std::vector<Value*> keys;
  for (const Value* k : rng_keys) {
    claim(k, "random key", "is a random key and also trained, updated or listed twice");
    if (!(k->type == hlir::TensorType{{2}, common::Int(64)})) {
      CINN_THROW(DTypeError) << "train_step: the random key '" << k->name
                             << "' must be int64[2] (seed, step), got " << k->type.to_string();
    }
    keys.push_back(copy(k, "random key"));
  }

  NetBuilder b(g.get());
  // Each step draws new random numbers: (seed, step) -> (seed, step + 1).
  for (Value* k : keys) upd.push_back({k, b.add(k, b.iota({2}, 0, common::Int(64)))});
  std::vector<Value*> grads = append_gradients(b, l, w);

  auto new_input = [&](const std::string& name, const hlir::Shape& shape, common::Type dtype) {
    if (g->input(name)) {
      CINN_THROW(Error) << "train_step: the program already has an input named '" << name
                        << "', the name of " << opt.name() << "'s state";
    }
    return g->add_input(name, shape, dtype);
  };
  std::vector<std::string> slots = opt.slots();
  std::vector<std::vector<Value*>> state(w.size());
  for (size_t k = 0; k < w.size(); ++k) {
    for (const std::string& s : slots) state[k].push_back(new_input(w[k]->name + "." + s, w[k]->shape(), w[k]->dtype()));
  }
  Value* lr = new_input(kLearningRateInput, {}, common::Float(32));
  Value* step = nullptr;
  Value* next_step = nullptr;
  if (opt.counts_steps()) {
    step = new_input("optimizer.step", {}, common::Float(32));
    next_step = b.add(step, b.scalar(1.0, common::Float(32)));
  }
  std::vector<Value*> new_params;
  std::vector<std::vector<Value*>> new_state(w.size());
  for (size_t k = 0; k < w.size(); ++k) {
    NetBuilder::Values r;
    switch (opt.kind) {
      case Optimizer::Kind::kSGD: {
        // Plain SGD has no velocity: the op's velocity input is a dummy zeros it ignores.
        Value* v = slots.empty() ? b.full(w[k]->type, 0.0) : state[k][0];
        r = b.sgd_update(w[k], grads[k], v, lr, next_step, opt.momentum, opt.dampening, opt.weight_decay,
                         opt.nesterov);
        if (slots.empty()) r.resize(1);
        break;
      }
      case Optimizer::Kind::kAdam:
        r = b.adam_update(w[k], grads[k], state[k][0], state[k][1], next_step, lr, opt.beta1, opt.beta2,
                          opt.eps, opt.weight_decay);
        break;
      case Optimizer::Kind::kAdamW:
        r = b.adamw_update(w[k], grads[k], state[k][0], state[k][1], next_step, lr, opt.beta1, opt.beta2,
                           opt.eps, opt.weight_decay);
        break;
    }
    new_params.push_back(r[0]);
    new_state[k].assign(r.begin() + 1, r.end());
  }

  // Outputs and the inputs they replace.
  std::set<Value*> update_values;
  for (auto [in, v] : upd) update_values.insert(v);
  std::vector<Value*> outs{l};
  for (Value* o : g->outputs()) {
    if (o != l && !update_values.count(o)) outs.push_back(o);
  }
  std::vector<std::pair<Value*, Value*>> replaced;  // (new value, input)
  for (size_t k = 0; k < w.size(); ++k) replaced.push_back({new_params[k], w[k]});
  for (size_t k = 0; k < w.size(); ++k) {
    for (size_t s = 0; s < slots.size(); ++s) replaced.push_back({new_state[k][s], state[k][s]});
  }
  if (step) replaced.push_back({next_step, step});
  for (auto [in, v] : upd) replaced.push_back({v, in});
  std::vector<std::pair<int, int>> aliases;
  for (auto [v, in] : replaced) {
    aliases.push_back({static_cast<int>(outs.size()), g->input_index(in)});
    outs.push_back(v);
  }
  g->set_outputs(outs);
  Program result(eliminate_dead_code(*g));
  result.set_aliases(std::move(aliases));
  return result;
}

}  // namespace cinn::frontend
