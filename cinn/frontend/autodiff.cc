#include "cinn/frontend/autodiff.h"

#include <algorithm>
#include <map>
#include <set>

#include "cinn/frontend/passes.h"

namespace cinn::frontend {

using hlir::Builder;
using hlir::Node;

namespace {

// One backward pass: gradients accumulated per value, flowing only into active values
// (floating-point values that depend on a differentiated input).
class Backprop {
 public:
  explicit Backprop(Builder& b) : b_(b) {}

  void activate(Value* v) { active_.insert(v); }

  // Marks the results of `nodes` (in graph order) that depend on an active value.
  void propagate_activity(const std::vector<Node*>& nodes) {
    for (Node* n : nodes) {
      bool any = false;
      for (Value* v : n->inputs) any = any || active_.count(v);
      if (!any) continue;
      for (Value* v : n->outputs) {
        if (v->dtype().is_float()) active_.insert(v);
      }
    }
  }

  void accumulate(Value* v, Value* g, const Node* from) {
    if (!g || !active_.count(v)) return;
    if (!(g->type == v->type)) {
      CINN_THROW(InternalError) << "the gradient rule of op '" << (from ? from->op_name() : "?")
                                << "' gave a " << g->type.to_string() << " gradient for a "
                                << v->type.to_string() << " value";
    }
    auto [it, fresh] = grad_.emplace(v, g);
    if (!fresh) it->second = b_.call1("add", {it->second, g});
  }

  Value* gradient(const Value* v) const {
    auto it = grad_.find(v);
    return it == grad_.end() ? nullptr : it->second;
  }

  // Walks `nodes` (graph order) backwards, applying each node's rule to the gradients of
  // its results.
  void run(const std::vector<Node*>& nodes) {
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      Node* n = *it;
      std::vector<Value*> out_grads;
      bool any = false;
      for (Value* v : n->outputs) {
        out_grads.push_back(gradient(v));
        any = any || out_grads.back();
      }
      if (!any) continue;
      if (n->op->vjp_fn) {
        apply_rule(n, out_grads);
      } else if (n->op->is_composite()) {
        expand(n, out_grads);
      } else {
        CINN_THROW(UnsupportedOpError) << "op '" << n->op_name() << "' has no gradient rule";
      }
    }
  }

 private:
  void apply_rule(Node* n, std::vector<Value*> out_grads) {
    for (size_t i = 0; i < out_grads.size(); ++i) {
      if (!out_grads[i]) out_grads[i] = b_.full(n->outputs[i]->type, 0.0);
    }
    std::vector<Value*> in_grads = n->op->vjp_fn(b_, *n, out_grads);
    if (in_grads.size() != n->inputs.size()) {
      CINN_THROW(InternalError) << "the gradient rule of op '" << n->op_name() << "' gave "
                                << in_grads.size() << " gradients for " << n->inputs.size()
                                << " inputs";
    }
    for (size_t i = 0; i < in_grads.size(); ++i) accumulate(n->inputs[i], in_grads[i], n);
  }

  // A composite without a rule: its decomposition is emitted again and differentiated.
  void expand(Node* n, const std::vector<Value*>& out_grads) {
    hlir::Graph& g = b_.graph();
    size_t first = g.nodes().size();
    std::vector<Value*> outs = n->op->decompose_fn(b_, n->inputs, n->attrs);
    std::vector<Node*> sub;
    for (size_t k = first; k < g.nodes().size(); ++k) sub.push_back(g.nodes()[k].get());
    propagate_activity(sub);
    for (size_t i = 0; i < outs.size(); ++i) accumulate(outs[i], out_grads[i], n);
    run(sub);
  }

  Builder& b_;
  std::set<const Value*> active_;
  std::map<const Value*, Value*> grad_;
};

}  // namespace

std::vector<Value*> append_gradients(Builder& b, Value* loss, const std::vector<Value*>& wrt) {
  hlir::Graph& g = b.graph();
  if (!loss) CINN_THROW(Error) << "grad: the loss is null";
  if (!loss->dtype().is_float()) {
    CINN_THROW(DTypeError) << "grad: the loss must be a floating-point scalar, got "
                           << loss->type.to_string();
  }
  if (hlir::num_elements(loss->shape()) != 1) {
    CINN_THROW(ShapeError) << "grad: the loss must be a scalar (one element), got "
                           << loss->type.to_string() << "; reduce it first (sum or mean)";
  }
  for (const Value* w : wrt) {
    if (!w) CINN_THROW(Error) << "grad: a value to differentiate with respect to is null";
    if (g.input_index(w) < 0) {
      CINN_THROW(Error) << "grad: '" << w->name << "' (" << w->type.to_string()
                        << ") is not an input of the program; gradients are taken with "
                        << "respect to program inputs";
    }
    if (!w->dtype().is_float()) {
      CINN_THROW(DTypeError) << "grad: cannot differentiate with respect to input '" << w->name
                             << "' of dtype " << w->dtype()
                             << "; only floating-point inputs have gradients";
    }
  }
  std::vector<Node*> forward;
  for (const auto& n : g.nodes()) forward.push_back(n.get());

  Backprop bp(b);
  for (Value* w : wrt) bp.activate(w);
  bp.propagate_activity(forward);
  Value* one = b.full(loss->type, 1.0);
  bp.accumulate(loss, one, nullptr);
  // Only the nodes the loss depends on.
  std::set<const Value*> needed{loss};
  std::vector<Node*> path;
  for (auto it = forward.rbegin(); it != forward.rend(); ++it) {
    bool used = false;
    for (Value* v : (*it)->outputs) used = used || needed.count(v);
    if (!used) continue;
    path.push_back(*it);
    for (Value* v : (*it)->inputs) needed.insert(v);
  }
  std::reverse(path.begin(), path.end());
  bp.run(path);

  std::vector<Value*> out;
  for (Value* w : wrt) {
    Value* gw = bp.gradient(w);
    out.push_back(gw ? gw : b.full(w->type, 0.0));
  }
  return out;
}

std::vector<Value*> append_vjp(Builder& b, const std::string& op,
                               const std::vector<Value*>& inputs, const hlir::AttrMap& attrs,
                               const std::vector<Value*>& cotangents) {
  hlir::Graph& g = b.graph();
  size_t first = g.nodes().size();
  std::vector<Value*> outs = b.call(op, inputs, attrs);
  if (cotangents.size() != outs.size()) {
    CINN_THROW(Error) << "vjp of op '" << op << "': " << cotangents.size()
                      << " cotangents given for its " << outs.size() << " result(s)";
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    Value* c = cotangents[i];
    if (!c) continue;
    if (c->dtype() != outs[i]->dtype()) {
      CINN_THROW(DTypeError) << "vjp of op '" << op << "': cotangent " << i << " has dtype "
                             << c->dtype() << ", the result has " << outs[i]->dtype();
    }
    if (c->shape() != outs[i]->shape()) {
      CINN_THROW(ShapeError) << "vjp of op '" << op << "': cotangent " << i << " is "
                             << c->type.to_string() << ", the result is "
                             << outs[i]->type.to_string();
    }
  }
  // The nodes call() appended: the op itself, or broadcasts inserted before it.
  std::vector<Node*> nodes;
  for (size_t k = first; k < g.nodes().size(); ++k) nodes.push_back(g.nodes()[k].get());
  Backprop bp(b);
  for (Value* v : inputs) {
    if (v && v->dtype().is_float()) bp.activate(v);
  }
  bp.propagate_activity(nodes);
  for (size_t i = 0; i < outs.size(); ++i) bp.accumulate(outs[i], cotangents[i], nullptr);
  bp.run(nodes);
  std::vector<Value*> grads;
  for (Value* v : inputs) {
    if (!v || !v->dtype().is_float()) {
      grads.push_back(nullptr);
      continue;
    }
    Value* gv = bp.gradient(v);
    grads.push_back(gv ? gv : b.full(v->type, 0.0));
  }
  return grads;
}

GraphCopy::GraphCopy(const Program& p, std::string fn) : fn_(std::move(fn)) {
  graph = hlir::rewrite_graph(p.graph(), nullptr, false, &map_);
}

Value* GraphCopy::operator()(const Value* v, const char* what) const {
  auto it = map_.find(v);
  if (it == map_.end()) {
    CINN_THROW(Error) << fn_ << ": the " << what << " '" << (v ? v->name : "null")
                      << "' is not a value of the program";
  }
  return it->second;
}

Program grad(const Program& p, const Value* loss, const std::vector<const Value*>& wrt) {
  GraphCopy copy(p, "grad");
  std::shared_ptr<hlir::Graph> g = copy.graph;
  Value* l = copy(loss, "loss");
  std::vector<Value*> w;
  for (const Value* v : wrt) w.push_back(copy(v, "differentiated value"));
  Builder b(g.get());
  std::vector<Value*> grads = append_gradients(b, l, w);
  std::vector<Value*> outs{l};
  outs.insert(outs.end(), grads.begin(), grads.end());
  for (Value* o : g->outputs()) {
    if (o != l) outs.push_back(o);
  }
  g->set_outputs(outs);
  return Program(eliminate_dead_code(*g));
}

}  // namespace cinn::frontend
