// Reductions: reduce axes and the sum / max / min / prod combiners.
//
// A reduction is represented in the body of a compute by an intrinsic-like Call named
// "cinn.reduce.<kind>" with arguments (source, where, axis0, min0, extent0, axis1, ...);
// lowering turns it into a ScheduleBlock with reduce iter_vars and an `init`.
#pragma once

#include <string>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::lang {

using ir::Expr;

struct ReduceAxis {
  Expr var;  // an int64 Var
  Expr min;
  Expr extent;
};

ReduceAxis reduce_axis(Expr extent, const std::string& name);
ReduceAxis reduce_axis(Expr min, Expr extent, const std::string& name);
bool is_reduce_axis_var(const ir::Var* v);

enum class ReduceKind { kSum, kMax, kMin, kProd };
const char* reduce_kind_name(ReduceKind k);

// `where` (optional, bool) restricts the reduction domain, e.g. k <= i for a triangle.
Expr reduce(ReduceKind kind, Expr source, const std::vector<ReduceAxis>& axes,
            Expr where = Expr());
inline Expr sum(Expr s, const std::vector<ReduceAxis>& axes, Expr where = Expr()) {
  return reduce(ReduceKind::kSum, std::move(s), axes, std::move(where));
}
inline Expr max(Expr s, const std::vector<ReduceAxis>& axes, Expr where = Expr()) {
  return reduce(ReduceKind::kMax, std::move(s), axes, std::move(where));
}
inline Expr min(Expr s, const std::vector<ReduceAxis>& axes, Expr where = Expr()) {
  return reduce(ReduceKind::kMin, std::move(s), axes, std::move(where));
}
inline Expr prod(Expr s, const std::vector<ReduceAxis>& axes, Expr where = Expr()) {
  return reduce(ReduceKind::kProd, std::move(s), axes, std::move(where));
}

// The identity of the combiner for type t: 0, 1, the lowest or the highest value
// (-inf / +inf for floats).
Expr reduce_identity(ReduceKind kind, common::Type t);
// combine(acc, x): acc + x, max(acc, x), ...
Expr reduce_combine(ReduceKind kind, Expr acc, Expr x);

// A decoded reduction call (see above); `ok` is false if `e` is not one.
struct ReduceInfo {
  bool ok = false;
  ReduceKind kind = ReduceKind::kSum;
  Expr source, where;
  std::vector<ReduceAxis> axes;
};
ReduceInfo as_reduce(const Expr& e);

}  // namespace cinn::lang
