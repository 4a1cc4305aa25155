// Graph passes of the frontend pipeline (each returns a new graph).
#pragma once

#include <memory>

#include "cinn/hlir/graph.h"

namespace cinn::frontend {

// Copies `g` node by node (without the nodes that do not reach an output, if `drop_dead`).
std::unique_ptr<hlir::Graph> rebuild_graph(const hlir::Graph& g, bool drop_dead);

// Expands every composite op by its decomposition rule until only primitives remain.
std::unique_ptr<hlir::Graph> decompose(const hlir::Graph& g);

// Drops nodes whose results do not reach an output.
std::unique_ptr<hlir::Graph> eliminate_dead_code(const hlir::Graph& g);

}  // namespace cinn::frontend
