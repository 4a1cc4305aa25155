// Tensor-expression DSL: placeholders, computes and reductions.
//
//   Tensor A = placeholder({M, K}, Float(32), "A");
//   ReduceAxis k = reduce_axis(K, "k");
//   Tensor C = compute({M, N}, [&](const std::vector<Expr>& i) {
//     return sum(A(i[0], k) * B(k, i[1]), {k});
//   }, "C");
//
// A compute's body is an expression of its axes (and of symbolic sizes); a reduction must
// be the whole body. Each tensor owns a Buffer; indexing a tensor builds a Load of it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::lang {

using ir::Expr;
using common::Type;

class Tensor;

struct TensorNode : ir::RefCounted {
  std::string name;
  ir::Buffer buffer;
  bool is_placeholder = true;
  // compute only: the spatial axes (Vars) and the body in terms of them.
  std::vector<Expr> axes;
  Expr body;
  // Tensors the body reads.
  std::vector<Tensor> inputs;
  // compute only: copied onto the tensor's ScheduleBlock when lowered (schedules read them).
  std::map<std::string, std::string> annotations;
  // update only (see `update`): the body is stored into `buffer`, another tensor's, at
  // these indices of the axes (rather than at the axes), where `guard` holds if defined.
  std::vector<Expr> store_indices;
  Expr guard;
  std::vector<Expr> extents;  // update only: the axes' extents (the buffer's shape is into's)
  ~TensorNode() override;
};

class Tensor : public ir::Ref<TensorNode> {
 public:
  using ir::Ref<TensorNode>::Ref;
  const std::string& name() const { return get()->name; }
  Type dtype() const { return get()->buffer.dtype(); }
  const std::vector<Expr>& shape() const { return get()->buffer.shape(); }
  int ndim() const { return get()->buffer.ndim(); }
  const ir::Buffer& buffer() const { return get()->buffer; }
  bool is_placeholder() const { return get()->is_placeholder; }
  bool is_reduce() const;

  // A[i, j]: a Load; the number of indices must equal ndim (ShapeError otherwise).
  Expr operator()(std::vector<Expr> indices) const;
  template <typename... Ts>
  Expr operator()(Ts... indices) const {
    return (*this)(std::vector<Expr>{Expr(indices)...});
  }
};

// A symbolic size (an int64 Var), bound when a kernel is called.
Expr size_var(const std::string& name);

Tensor placeholder(const std::vector<Expr>& shape, Type dtype, const std::string& name);

using ComputeFn = std::function<Expr(const std::vector<Expr>& axes)>;
// `axis_names` default to i, j, k, l, ... (then i4, i5, ...). `annotations` go onto the
// tensor's ScheduleBlock (e.g. ir::kStagingAnnotation).
Tensor compute(const std::vector<Expr>& shape, const ComputeFn& f, const std::string& name,
               const std::vector<std::string>& axis_names = {},
               std::map<std::string, std::string> annotations = {});

// An update of `into` in place (a scatter): for every point of `shape`, in order (the last
// axis fastest), where guard(axes) holds (no guard: everywhere),
//   into[index(axes)] = value(axes)
// value may read `into` at index(axes): points with equal indices update one after another
// (a scatter-add: value = into(index(axes)) + u(axes)). The indices may read tensors (data-
// dependent positions); the points where one falls outside `into` are skipped. Returns the updated
// tensor: it has into's buffer, and readers of the result must read it, not `into`. Loops
// whose variables only reach the data-dependent indices stay serial (the legality checks
// see such a store as touching its whole dimension).
using IndexFn = std::function<std::vector<Expr>(const std::vector<Expr>& axes)>;
Tensor update(const Tensor& into, const std::vector<Expr>& shape, const IndexFn& index,
              const ComputeFn& value, const ComputeFn& guard, const std::string& name);

// The tensor whose buffer is `b`, if it is still alive (used by lowering).
Tensor tensor_of_buffer(const ir::Buffer& b);

}  // namespace cinn::lang
