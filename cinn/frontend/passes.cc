#include "cinn/frontend/passes.h"

#include <map>
#include <set>

#include "cinn/hlir/builder.h"

namespace cinn::frontend {
namespace {

std::set<const hlir::Node*> live_nodes(const hlir::Graph& g) {
  std::set<const hlir::Node*> live;
  std::vector<const hlir::Value*> work(g.outputs().begin(), g.outputs().end());
  while (!work.empty()) {
    const hlir::Value* v = work.back();
    work.pop_back();
    if (!v->producer || !live.insert(v->producer).second) continue;
    for (const hlir::Value* in : v->producer->inputs) work.push_back(in);
  }
  return live;
}

// Copies g into a new graph; composite nodes are expanded when `expand` is set.
std::unique_ptr<hlir::Graph> copy_graph(const hlir::Graph& g, bool expand, bool drop_dead,
                                        bool* expanded) {
  auto out = std::make_unique<hlir::Graph>(g.name());
  std::map<const hlir::Value*, hlir::Value*> vmap;
  for (hlir::Value* v : g.inputs()) vmap[v] = out->add_input(v->name, v->shape(), v->dtype());
  std::set<const hlir::Node*> live;
  if (drop_dead) live = live_nodes(g);
  hlir::Builder b(out.get());
  for (const auto& n : g.nodes()) {
    if (drop_dead && !live.count(n.get())) continue;
    std::vector<hlir::Value*> ins;
    for (hlir::Value* v : n->inputs) ins.push_back(vmap.at(v));
    std::vector<hlir::Value*> results;
    if (expand && n->op->is_composite()) {
      results = n->op->decompose_fn(b, ins, n->attrs);
      *expanded = true;
    } else {
      std::vector<hlir::TensorType> types;
      for (hlir::Value* v : n->outputs) types.push_back(v->type);
      results = out->add_node(n->op, ins, n->attrs, types)->outputs;
    }
    CINN_CHECK(results.size() == n->outputs.size()) << "op '" << n->op_name() << "' produced "
                                                    << results.size() << " results";
    for (size_t i = 0; i < results.size(); ++i) {
      CINN_CHECK(results[i]->type == n->outputs[i]->type)
          << "op '" << n->op_name() << "': decomposition changed result " << i << " from "
          << n->outputs[i]->type.to_string() << " to " << results[i]->type.to_string();
      vmap[n->outputs[i]] = results[i];
    }
  }
  std::vector<hlir::Value*> outs;
  for (hlir::Value* v : g.outputs()) outs.push_back(vmap.at(v));
  out->set_outputs(outs);
  return out;
}

}  // namespace

std::unique_ptr<hlir::Graph> rebuild_graph(const hlir::Graph& g, bool drop_dead) {
  bool expanded = false;
  return copy_graph(g, false, drop_dead, &expanded);
}

std::unique_ptr<hlir::Graph> decompose(const hlir::Graph& g) {
  bool expanded = false;
  auto out = copy_graph(g, true, false, &expanded);
  for (int round = 0; expanded; ++round) {
    CINN_CHECK(round < 32) << "decomposition does not terminate (a composite expands to itself?)";
    expanded = false;
    out = copy_graph(*out, true, false, &expanded);
  }
  return out;
}

std::unique_ptr<hlir::Graph> eliminate_dead_code(const hlir::Graph& g) { return rebuild_graph(g, true); }

}  // namespace cinn::frontend
