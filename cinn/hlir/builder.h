// Builder: appends validated, shape-inferred op applications to a Graph.
#pragma once

#include <string>
#include <vector>

#include "cinn/hlir/graph.h"
#include "cinn/hlir/op.h"

namespace cinn::hlir {

class Builder {
 public:
  explicit Builder(Graph* graph) : graph_(graph) {}
  Graph& graph() const { return *graph_; }

  // Applies op `name`: checks the inputs and attributes (filling defaults), inserts
  // broadcast_to for broadcasting binary ops (numpy rules), infers the result types (for a
  // composite, from its decomposition) and appends the node. Throws UnsupportedOpError for
  // an unknown op, ShapeError / DTypeError naming the op for bad operands.
  std::vector<Value*> call(const std::string& name, std::vector<Value*> inputs,
                           const AttrMap& attrs = {});
  // The same for an op with exactly one result.
  Value* call1(const std::string& name, std::vector<Value*> inputs, const AttrMap& attrs = {});

  // A scalar (shape []) constant of `dtype` (fill_constant); broadcasting ops broadcast it.
  Value* scalar(double value, common::Type dtype);
  // A tensor of type `t` with every element `value`: the scalar broadcast to t's shape.
  Value* full(const TensorType& t, double value);

  // The numpy broadcast of two shapes; ShapeError naming `op` if they do not broadcast.
  static Shape broadcast_shapes(const std::string& op, const Shape& a, const Shape& b);

 private:
  Graph* graph_;
};

// The result types of a composite op, from its decomposition into a scratch graph.
std::vector<TensorType> infer_by_decomposition(const OpInfo& op,
                                               const std::vector<TensorType>& inputs,
                                               const AttrMap& attrs);

}  // namespace cinn::hlir
