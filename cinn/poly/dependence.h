// Flow (read-after-write) dependence analysis between statement instances.
#pragma once

#include <string>
#include <vector>

#include "cinn/poly/domain.h"

namespace cinn::poly {

// One access of `buffer` at `indices` (affine in the stage's iter_vars) by stage `stage`.
struct Access {
  int stage = 0;
  ir::Buffer buffer;
  std::vector<ir::Expr> indices;
  bool is_write = false;
};

// Instances of `sink` read a value that instances of `source` wrote last: `relation` is the
// isl map from source instances to the sink instances that read their values, e.g.
// "{ S0[i0] -> S1[i0, i1] : 0 <= i0 <= 7 and 0 <= i1 <= 3 }".
struct FlowDependence {
  int source = 0;
  int sink = 0;
  std::string relation;
};

// Exact flow dependences under the sequential order of the stages (each stage runs its
// whole domain in lexicographic order, stages one after another, as generate_loop_nest
// produces). Accesses with non-affine indices are treated conservatively: they may touch
// any element of their buffer.
std::vector<FlowDependence> flow_dependences(const std::vector<StageDomain>& stages,
                                             const std::vector<Access>& accesses);

}  // namespace cinn::poly
