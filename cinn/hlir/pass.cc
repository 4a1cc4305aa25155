#include "cinn/hlir/pass.h"

#include <map>
#include <set>

#include "cinn/common/dump.h"

namespace cinn::hlir {

void verify_graph(const Graph& g) {
  std::set<const Value*> defined;
  for (const Value* v : g.inputs()) {
    if (v->producer) CINN_THROW(InternalError) << "graph input '" << v->name << "' has a producer";
    if (!defined.insert(v).second) CINN_THROW(InternalError) << "graph input '" << v->name << "' listed twice";
  }
  for (const auto& n : g.nodes()) {
    const std::string where = "node " + std::to_string(n->id) + " (" + n->op_name() + ")";
    for (const Value* v : n->inputs) {
      if (!defined.count(v)) {
        CINN_THROW(InternalError) << where << " uses " << (v ? v->name : "null")
                                  << ", which is not defined before it";
      }
    }
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      const Value* v = n->outputs[i];
      if (v->producer != n.get() || v->output_index != static_cast<int>(i)) {
        CINN_THROW(InternalError) << where << ": result " << i << " (" << v->name
                                  << ") does not point back to its producer";
      }
      if (!defined.insert(v).second) CINN_THROW(InternalError) << where << " redefines " << v->name;
    }
    AttrMap attrs;
    try {
      attrs = n->op->validate(n->inputs.size(), n->attrs);
    } catch (const Error& e) {
      CINN_THROW(InternalError) << where << " has invalid attributes: " << e.what();
    }
    std::vector<TensorType> in_types;
    for (const Value* v : n->inputs) in_types.push_back(v->type);
    std::vector<TensorType> expect;
    try {
      expect = n->op->is_composite() ? infer_by_decomposition(*n->op, in_types, attrs)
                                     : n->op->infer(OpCall{*n->op, in_types, attrs});
    } catch (const Error& e) {
      CINN_THROW(InternalError) << where << " does not type-check: " << e.what();
    }
    if (expect.size() != n->outputs.size()) {
      CINN_THROW(InternalError) << where << " has " << n->outputs.size() << " results, its rules give "
                                << expect.size();
    }
    for (size_t i = 0; i < expect.size(); ++i) {
      if (!(expect[i] == n->outputs[i]->type)) {
        CINN_THROW(InternalError) << where << ": result " << i << " is "
                                  << n->outputs[i]->type.to_string() << ", its rules infer "
                                  << expect[i].to_string();
      }
    }
  }
  for (const Value* v : g.outputs()) {
    if (!defined.count(v)) CINN_THROW(InternalError) << "graph output " << v->name << " is not defined";
  }
}

namespace {

std::set<const Node*> live_nodes(const Graph& g) {
  std::set<const Node*> live;
  std::vector<const Value*> work(g.outputs().begin(), g.outputs().end());
  while (!work.empty()) {
    const Value* v = work.back();
    work.pop_back();
    if (!v->producer || !live.insert(v->producer).second) continue;
    for (const Value* in : v->producer->inputs) work.push_back(in);
  }
  return live;
}

}  // namespace

std::unique_ptr<Graph> rewrite_graph(const Graph& g, const NodeRewriter& rewrite, bool drop_dead,
                                     std::map<const Value*, Value*>* value_map) {
  auto out = std::make_unique<Graph>(g.name());
  std::map<const Value*, Value*> vmap;
  for (Value* v : g.inputs()) vmap[v] = out->add_input(v->name, v->shape(), v->dtype());
  std::set<const Node*> live;
  if (drop_dead) live = live_nodes(g);
  Builder b(out.get());
  for (const auto& n : g.nodes()) {
    if (drop_dead && !live.count(n.get())) continue;
    std::vector<Value*> ins;
    for (Value* v : n->inputs) ins.push_back(vmap.at(v));
    std::optional<std::vector<Value*>> replaced;
    if (rewrite) replaced = rewrite(b, *n, ins);
    std::vector<Value*> results;
    if (replaced) {
      results = std::move(*replaced);
    } else {
      std::vector<TensorType> types;
      for (Value* v : n->outputs) types.push_back(v->type);
      results = out->add_node(n->op, ins, n->attrs, types)->outputs;
    }
    if (results.size() != n->outputs.size()) {
      CINN_THROW(InternalError) << "op '" << n->op_name() << "' was replaced by " << results.size()
                                << " values, expected " << n->outputs.size();
    }
    for (size_t i = 0; i < results.size(); ++i) {
      if (!(results[i]->type == n->outputs[i]->type)) {
        CINN_THROW(InternalError) << "op '" << n->op_name() << "': result " << i << " was replaced by a "
                                  << results[i]->type.to_string() << " value, expected "
                                  << n->outputs[i]->type.to_string();
      }
      vmap[n->outputs[i]] = results[i];
    }
  }
  std::vector<Value*> outs;
  for (Value* v : g.outputs()) outs.push_back(vmap.at(v));
  out->set_outputs(outs);
  if (value_map) *value_map = std::move(vmap);
  return out;
}

GraphPassManager& GraphPassManager::add(const std::string& name, GraphPassFn pass) {
  CINN_CHECK(!name.empty()) << "a graph pass needs a name";
  CINN_CHECK(pass) << "graph pass '" << name << "' has no function";
  passes_.push_back({name, std::move(pass)});
  return *this;
}

std::vector<std::string> GraphPassManager::pass_names() const {
  std::vector<std::string> out;
  for (const GraphPass& p : passes_) out.push_back(p.name);
  return out;
}

std::unique_ptr<Graph> GraphPassManager::run(const Graph& g) const {
  common::Dumper dumper(common::dump_root(dump_dir_), "graph_" + g.name());
  if (dumper.enabled()) dumper.dump(0, "input", g.to_string());
  try {
    verify_graph(g);
  } catch (const InternalError& e) {
    CINN_THROW(InternalError) << "the input of the graph passes does not verify: " << e.what();
  }
  std::unique_ptr<Graph> cur;
  for (size_t i = 0; i < passes_.size(); ++i) {
    const GraphPass& p = passes_[i];
    try {
      cur = p.run(cur ? *cur : g);
    } catch (const InternalError& e) {
      CINN_THROW(InternalError) << "graph pass '" << p.name << "' failed: " << e.what();
    }
    if (dumper.enabled()) dumper.dump(static_cast<int>(i + 1), p.name, cur->to_string());
    try {
      verify_graph(*cur);
    } catch (const InternalError& e) {
      CINN_THROW(InternalError) << "graph pass '" << p.name
                                << "' produced a graph that does not verify: " << e.what();
    }
  }
  if (!cur) cur = rewrite_graph(g, nullptr);
  return cur;
}

}  // namespace cinn::hlir
