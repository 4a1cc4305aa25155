// Iteration domains of stages, as the rest of the compiler sees them (no isl types here).
#pragma once

#include <string>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::poly {

// One statement: `iter_vars` range over `ranges` (min, extent) intersected with
// `constraints` (boolean expressions, affine in the iter_vars and free size variables).
// Free variables other than the iter_vars become isl parameters (symbolic sizes), assumed
// to be >= 1.
struct StageDomain {
  std::string name;
  std::vector<ir::Expr> iter_vars;
  std::vector<ir::Range> ranges;
  std::vector<ir::Expr> constraints;
  // Names for the loops generated over each iter_var (defaults to the iter_vars' names).
  std::vector<std::string> loop_names;
};

// The isl library version string ("isl-0.25-GMP"): used to check that calls bind to the
// system libisl and not to the copy bundled inside libLLVM.
std::string isl_version();

// True if restricting `stage` by its constraints removes no point of its first `n_outer`
// dimensions: every point of the outer box keeps at least one inner point. Lowering uses it
// to move a reduction's `where` into the loop bounds without losing output points.
bool constraints_keep_outer_points(const StageDomain& stage, int n_outer);

// True if `e` is affine in the given variables and free parameters (so isl can represent it).
bool is_affine(const ir::Expr& e);

}  // namespace cinn::poly
