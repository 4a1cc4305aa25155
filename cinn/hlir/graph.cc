#include "cinn/hlir/graph.h"

#include <sstream>

#include "cinn/common/error.h"
#include "cinn/hlir/op.h"

namespace cinn::hlir {

std::string shape_to_string(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

int64_t num_elements(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string TensorType::to_string() const { return dtype.to_string() + shape_to_string(shape); }

const std::string& Node::op_name() const { return op->name; }

Value* Graph::new_value(TensorType type, std::string name) {
  auto v = std::make_unique<Value>();
  v->id = static_cast<int>(values_.size());
  v->name = name.empty() ? "v" + std::to_string(v->id) : std::move(name);
  v->type = std::move(type);
  values_.push_back(std::move(v));
  return values_.back().get();
}

Value* Graph::add_input(const std::string& name, const Shape& shape, common::Type dtype) {
  if (name.empty()) CINN_THROW(Error) << "graph '" << name_ << "': an input needs a name";
  if (input(name)) CINN_THROW(Error) << "graph '" << name_ << "': input '" << name << "' already exists";
  for (auto d : shape) {
    if (d <= 0) {
      CINN_THROW(ShapeError) << "input '" << name << "': dimensions must be positive, got "
                             << shape_to_string(shape);
    }
  }
  Value* v = new_value({shape, dtype}, name);
  inputs_.push_back(v);
  return v;
}

Node* Graph::add_node(const OpInfo* op, std::vector<Value*> inputs, AttrMap attrs,
                      const std::vector<TensorType>& output_types) {
  auto n = std::make_unique<Node>();
  n->id = static_cast<int>(nodes_.size());
  n->op = op;
  n->inputs = std::move(inputs);
  n->attrs = std::move(attrs);
  for (size_t i = 0; i < output_types.size(); ++i) {
    Value* v = new_value(output_types[i], "");
    v->producer = n.get();
    v->output_index = static_cast<int>(i);
    n->outputs.push_back(v);
  }
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

void Graph::set_outputs(std::vector<Value*> outputs) {
  for (Value* v : outputs) {
    CINN_CHECK(v && v->id < static_cast<int>(values_.size()) && values_[v->id].get() == v)
        << "graph '" << name_ << "': output value does not belong to this graph";
  }
  outputs_ = std::move(outputs);
}

Value* Graph::input(const std::string& name) const {
  for (Value* v : inputs_) {
    if (v->name == name) return v;
  }
  return nullptr;
}

int Graph::input_index(const Value* v) const {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i] == v) return static_cast<int>(i);
  }
  return -1;
}

std::vector<Node*> Graph::users(const Value* v) const {
  std::vector<Node*> out;
  for (const auto& n : nodes_) {
    for (Value* in : n->inputs) {
      if (in == v) {
        out.push_back(n.get());
        break;
      }
    }
  }
  return out;
}

bool Graph::is_output(const Value* v) const {
  for (Value* o : outputs_) {
    if (o == v) return true;
  }
  return false;
}

std::string Graph::to_string() const {
  std::ostringstream os;
  os << "graph " << name_ << "(";
  for (size_t i = 0; i < inputs_.size(); ++i) {
    os << (i ? ", " : "") << inputs_[i]->name << ": " << inputs_[i]->type.to_string();
  }
  os << ") {\n";
  for (const auto& n : nodes_) {
    os << "  ";
    for (size_t i = 0; i < n->outputs.size(); ++i) os << (i ? ", " : "") << n->outputs[i]->name;
    os << " = " << n->op_name() << "(";
    bool first = true;
    for (Value* in : n->inputs) {
      os << (first ? "" : ", ") << in->name;
      first = false;
    }
    for (const auto& [k, a] : n->attrs) {
      os << (first ? "" : ", ") << k << "=" << attr_to_string(a);
      first = false;
    }
    os << ")  # ";
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      os << (i ? ", " : "") << n->outputs[i]->type.to_string();
    }
    os << "\n";
  }
  os << "  return ";
  for (size_t i = 0; i < outputs_.size(); ++i) os << (i ? ", " : "") << outputs_[i]->name;
  os << "\n}\n";
  return os.str();
}

}  // namespace cinn::hlir
