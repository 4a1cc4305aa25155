// Op fusion: partitions a primitive graph into fusion groups, each lowered to one kernel.
#pragma once

#include <string>
#include <vector>

#include "cinn/hlir/graph.h"
#include "cinn/hlir/op.h"

namespace cinn::hlir {

struct FusionGroup {
  int id = 0;
  std::string name;            // kernel name, e.g. "fn3_reduce_exp"
  OpPattern kind = OpPattern::kElementWise;  // the strongest pattern among its nodes
  std::vector<Node*> nodes;    // in graph (topological) order; may include nodes that
                               // another group also runs (recomputed here)
  std::vector<Value*> inputs;  // values read from outside the group, first-use order
  std::vector<Value*> outputs; // values used outside the group or returned by the graph
};

// Vertical fusion, walking consumers in graph order and merging each producer's group into
// the consumer's group when the pair of pattern kinds allows it:
//   ElementWise/Broadcast/Injective -> ElementWise/Broadcast/Injective   (inlined chains)
//   ElementWise/Broadcast/Injective -> Reduction                        (prologues)
//   ElementWise/Broadcast           -> OutFusible, feeding epilogue ops only
//   Reduction -> ElementWise/Broadcast whose results have the reduction's input or output
//                shape                                                  (epilogues)
//   Reduction -> Reduction over the same input shape and axes            (softmax, norms)
//   OutFusible -> ElementWise/Broadcast of the same result shape        (bias, activation)
// Source ops (no inputs, e.g. fill_constant) go with any consumer. Then horizontal fusion:
// groups that read a common value and have no path between them merge when both are
// elementwise/broadcast groups over one shape, or reductions over the same input shape and
// axes. A merge that would make the group graph cyclic is skipped. Opaque ops stay alone.
// Last, recomputation: a value made by elementwise/broadcast ops of one group and read by
// others is recomputed inside each reader (the producing chain, up to 16 nodes, is listed in
// their `nodes` too) when every reader could have merged the chain and the chain reads at
// most one value as large as an eighth of the result -- so the value is never written; a
// group whose every result is recomputed elsewhere is dropped. With `enable` false every
// node is its own group.
std::vector<FusionGroup> fuse_ops(const Graph& g, bool enable = true);

std::string fusion_groups_to_string(const std::vector<FusionGroup>& groups);

}  // namespace cinn::hlir
