// Conversions between Python values and IR expressions.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "cinn/ir/ir.h"
#include "cinn/lang/reduce.h"

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

// numpy dtype of an IR element type (DTypeError for bfloat16).
pybind11::dtype numpy_dtype(common::Type t);
// A new C-contiguous array whose data is 64-byte aligned (numpy's allocator gives 16), so
// kernels writing it use whole-cache-line and non-temporal stores (docs/architecture.md, codegen).
pybind11::array empty_aligned(common::Type dtype, const std::vector<int64_t>& shape);
// `h` as a numpy array of element type `dtype`; ExecutionError / DTypeError naming `what`
// ("argument 'A'", "input 'x'") otherwise.
pybind11::array checked_array(pybind11::handle h, const std::string& what, common::Type dtype);

}  // namespace cinn::python
