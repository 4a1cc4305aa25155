// Integer intervals, and the bounds analysis the simplifier proves facts with.
//
// An Interval bounds the values an integer expression can take. A missing bound means that
// nothing is known beyond the limit of the expression's type.
//
// bounds_of() evaluates an expression over intervals with the IR's machine semantics: integer
// arithmetic wraps modulo 2^bits and Div/Mod round towards negative infinity (ir.h). Where an
// Add, Sub or Mul might wrap, its result is widened to the whole type, so the bounds hold for
// every evaluation, including those that overflow. Variables not in `ranges` span their type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>

#include "cinn/ir/ir.h"

namespace cinn::ir {

struct Interval {
  std::optional<int64_t> min, max;

  static Interval everything() { return {}; }
  static Interval single_point(int64_t v) { return {v, v}; }
  static Interval bounded(int64_t lo, int64_t hi) { return {lo, hi}; }

  bool is_single_point() const { return min && max && *min == *max; }
  bool is_bounded() const { return min && max; }
  bool contains(int64_t v) const { return (!min || *min <= v) && (!max || v <= *max); }
  bool operator==(const Interval& o) const { return min == o.min && max == o.max; }
  bool operator!=(const Interval& o) const { return !(*this == o); }
};

// "[0, 7]", "[-inf, 3]".
std::ostream& operator<<(std::ostream& os, const Interval& iv);

// Known ranges of free variables: loop variables, block iter_vars, symbolic sizes.
using VarRanges = std::map<const Var*, Interval>;

struct BoundsInfo {
  Interval interval;
  // The expression's linear skeleton cannot wrap: none of the Add, Sub and Mul nodes reached
  // from the root without passing through a node of another kind overflows. The value then
  // equals the skeleton evaluated in exact integer arithmetic over the values of the other
  // nodes (the "atoms"), which is what makes rewriting `(a*8 + b) / 8` or comparing `x` with
  // `x + 1` sound under wrap-around semantics.
  bool no_overflow = false;
};

// Bounds of a scalar or vector (over all lanes) signed integer or bool expression. Other
// types get Interval::everything() and no_overflow = false.
BoundsInfo analyze_bounds(const Expr& e, const VarRanges& ranges);
Interval bounds_of(const Expr& e, const VarRanges& ranges = {});

}  // namespace cinn::ir
