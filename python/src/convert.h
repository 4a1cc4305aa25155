// Conversions between Python values and IR expressions.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "cinn/common/target.h"
#include "cinn/ir/ir.h"
#include "cinn/lang/reduce.h"
#include "src/executable_py.h"  // numpy_dtype, empty_aligned, checked_array

namespace cinn::python {

// A reduce axis is an Expr (its variable) that also knows its range.
struct ReduceAxisPy : ir::Expr {
  ir::Expr min, extent;
  lang::ReduceAxis axis() const { return {*this, min, extent}; }
};

// int -> int64 immediate, float -> float32 immediate, bool -> bool, Expr -> itself.
ir::Expr to_expr(pybind11::handle h);
// A shape or index list: an int/Expr or a sequence of them.
std::vector<ir::Expr> to_expr_list(pybind11::handle h);

// A `target` argument: None (the host CPU), a cinn.Target, or "x86" / "cuda" (their
// defaults); anything else is a cinn.Error saying so.
common::Target target_or_host(pybind11::handle target);

}  // namespace cinn::python
