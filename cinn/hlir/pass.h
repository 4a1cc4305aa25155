// Graph passes: named functions from a graph to a new graph, run in order by a
// GraphPassManager with the graph verifier between them and optional dumps.
//
// Graphs are rebuilt rather than edited (graph.h): most passes are a `rewrite_graph`, which
// copies the nodes in order and lets a callback replace any node by other values.
//
// GraphPassManager::run verifies its input, then after every pass writes the graph to
// `<dump root>/graph_<graph name>/<NN>_<pass>.txt` (common/dump.h: an explicit directory or
// $CINN_DUMP_DIR) and runs verify_graph; a pass whose result does not verify is a compiler
// bug, an InternalError naming the pass.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cinn/hlir/builder.h"
#include "cinn/hlir/graph.h"

namespace cinn::hlir {

// Checks the invariants every pass relies on: inputs and results belong to the graph,
// nodes are in topological order, every value has one producer, attributes validate, and
// each primitive node's result types are what its rules infer (composites: what their
// decomposition infers). InternalError describing the first violation.
void verify_graph(const Graph& g);

// The callback of rewrite_graph: given a node of the old graph and its inputs already mapped
// into the new graph, returns the values that replace its results (same count and types),
// or nullopt to copy the node unchanged. It adds nodes through `b`.
using NodeRewriter = std::function<std::optional<std::vector<Value*>>(
    Builder& b, const Node& node, const std::vector<Value*>& inputs)>;

// Copies `g` node by node through `rewrite` (null: copy all). With `drop_dead`, nodes whose
// results reach no output are left out. A replacement of the wrong type is an InternalError.
// `value_map`, if given, receives each value of `g` that has a counterpart in the copy.
std::unique_ptr<Graph> rewrite_graph(const Graph& g, const NodeRewriter& rewrite,
                                     bool drop_dead = false,
                                     std::map<const Value*, Value*>* value_map = nullptr);

using GraphPassFn = std::function<std::unique_ptr<Graph>(const Graph&)>;

struct GraphPass {
  std::string name;
  GraphPassFn run;
};

class GraphPassManager {
 public:
  // `dump_dir`: overrides $CINN_DUMP_DIR; an empty string turns dumping off.
  explicit GraphPassManager(std::optional<std::string> dump_dir = std::nullopt)
      : dump_dir_(std::move(dump_dir)) {}

  GraphPassManager& add(const std::string& name, GraphPassFn pass);
  std::vector<std::string> pass_names() const;
  std::unique_ptr<Graph> run(const Graph& g) const;

 private:
  std::optional<std::string> dump_dir_;
  std::vector<GraphPass> passes_;
};

}  // namespace cinn::hlir
