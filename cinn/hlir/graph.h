// The graph IR: SSA Values with static shapes and dtypes, Nodes applying registered ops.
//
// A Graph owns its nodes and values. Nodes are kept in a topological order (an op can only
// use values that already exist), so passes walk `nodes()` front to back and rebuild a new
// graph rather than editing in place (frontend/passes.h). The same Graph holds
// a frontend Program (composite ops such as softmax) and, after decomposition, the
// primitive graph that fusion and lowering see.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cinn/common/type.h"
#include "cinn/hlir/attribute.h"

namespace cinn::hlir {

struct OpInfo;
struct Node;

using Shape = std::vector<int64_t>;
std::string shape_to_string(const Shape& s);
int64_t num_elements(const Shape& s);

struct TensorType {
  Shape shape;
  common::Type dtype;
  bool operator==(const TensorType& o) const { return shape == o.shape && dtype == o.dtype; }
  std::string to_string() const;  // "float32[32, 784]"
};

struct Value {
  int id = 0;
  std::string name;  // graph inputs: the user's name; others "v<id>" unless named
  TensorType type;
  Node* producer = nullptr;  // null for graph inputs
  int output_index = 0;
  const Shape& shape() const { return type.shape; }
  common::Type dtype() const { return type.dtype; }
};

struct Node {
  int id = 0;
  const OpInfo* op = nullptr;
  AttrMap attrs;  // validated and completed with defaults by the registry
  std::vector<Value*> inputs;
  std::vector<Value*> outputs;
  const std::string& op_name() const;
};

class Graph {
 public:
  explicit Graph(std::string name = "graph") : name_(std::move(name)) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  const std::string& name() const { return name_; }

  // A named graph input; names are unique (cinn::Error otherwise), dimensions positive
  // (ShapeError).
  Value* add_input(const std::string& name, const Shape& shape, common::Type dtype);
  // Appends a node of `op` with fully validated attrs and the given result types. Use
  // Builder (builder.h) to get validation and inference; this is the raw constructor.
  Node* add_node(const OpInfo* op, std::vector<Value*> inputs, AttrMap attrs,
                 const std::vector<TensorType>& output_types);

  void set_outputs(std::vector<Value*> outputs);
  const std::vector<Value*>& outputs() const { return outputs_; }
  const std::vector<Value*>& inputs() const { return inputs_; }
  Value* input(const std::string& name) const;  // null if absent
  int input_index(const Value* v) const;          // position among the inputs, or -1
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  size_t num_values() const { return values_.size(); }

  // Nodes using `v`, in graph order (computed on demand).
  std::vector<Node*> users(const Value* v) const;
  bool is_output(const Value* v) const;

  // One line per node: "v3 = add(x, v2)  # float32[8, 8]", then the outputs.
  std::string to_string() const;

 private:
  Value* new_value(TensorType type, std::string name);
  std::string name_;
  std::vector<std::unique_ptr<Value>> values_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Value*> inputs_, outputs_;
};

}  // namespace cinn::hlir
