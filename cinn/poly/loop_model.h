// The polyhedral model of a function's current loop IR, as isl text (internal to poly; see
// loop_deps.h for what it contains and where it over-approximates).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cinn/ir/lowered_func.h"
#include "cinn/ir/substitute.h"
#include "cinn/poly/affine.h"

namespace cinn::poly {

struct AccessModel {
  ir::Buffer buffer;
  bool is_write = false;
  std::vector<ir::Expr> indices;  // in the block's iter_vars (Lets substituted)
  // "S0[l0, l1, v0, v1] -> B2[o0, o1] : o0 = v0 and o1 = v1 + 1" (no parameters, no braces).
  std::string relation;
  // The same over the iter_vars alone, within their ranges: "S0[v0, v1] -> B2[o0, o1] : ...".
  // Far smaller for isl; what it rules out needs no look at the loops.
  std::string iter_relation;
};

// One ScheduleBlockRealize. Its instances are S<k>[l0 .. l<n-1>, v0 .. v<m-1>]: the
// enclosing loop variables, then the block's iter_vars.
struct StmtModel {
  const ir::ScheduleBlock* block = nullptr;
  std::string id;                 // "S<k>"
  std::vector<ir::Expr> loops;    // enclosing loop variables, outermost first
  std::string tuple;              // "S0[l0, l1, v0, v1]"
  std::string domain;             // "S0[l0, l1, v0, v1] : <constraints>"
  std::vector<std::string> time;  // schedule entries, each "l<d>" or a constant
  std::vector<AccessModel> accesses;
  ir::VarMap bindings;  // iter_var -> iter_value (and Lets around the block)
  bool is_reduction = false;
  size_t n_dims() const { return loops.size() + block->iter_vars.size(); }
  // The tuple with every dimension's name prefixed: "S0[bl0, bl1, bv0, bv1]" for "b"; with
  // `iters_only`, the iter_vars alone: "S0[bv0, bv1]".
  std::string renamed_tuple(const std::string& prefix, bool iters_only = false) const;
};

struct FuncModel {
  std::vector<StmtModel> stmts;
};

// The model of f's body. `namer` turns f's size_vars into parameters; models built with one
// namer (and one `buffer_ids`) share parameter and buffer names, so they can be compared.
FuncModel build_model(const ir::LoweredFunc& f, IslNamer* namer,
                      std::map<const ir::BufferNode*, int>* buffer_ids);

// The access in loop variables, for messages: "X[i, j + 1]".
std::string access_in_loops(const StmtModel& s, const AccessModel& a);

// Constraints, over the dimensions of `a` (named with prefix `pa`, see renamed_tuple) and
// `b` (prefix `pb`), saying that instance a runs before instance b in the sequential order
// (or at the same time, if `or_equal`); "(1 = 0)" if it never does.
std::string precedes_text(const StmtModel& a, const std::string& pa, const StmtModel& b,
                          const std::string& pb, bool or_equal);

}  // namespace cinn::poly
