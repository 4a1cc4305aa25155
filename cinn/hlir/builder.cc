#include "cinn/hlir/builder.h"

#include <algorithm>
#include <typeinfo>

namespace cinn::hlir {

Shape Builder::broadcast_shapes(const std::string& op, const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      CINN_THROW(ShapeError) << "op '" << op << "': shapes " << shape_to_string(a) << " and "
                             << shape_to_string(b) << " do not broadcast (dimension " << i
                             << ": " << da << " vs " << db << ")";
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {
// `e` again, of the same class, its message prefixed with "op '<op>': " unless it already
// names that op: an error raised inside a decomposition rule then names the composite the
// user called as well as the primitive that refused it.
template <typename E>
[[noreturn]] void rethrow_naming(const std::string& op, const E& e) {
  std::string prefix = "op '" + op + "'";
  std::string msg = e.what();
  if (msg.compare(0, prefix.size(), prefix) == 0) throw e;
  throw E(prefix + ": " + msg);
}
}  // namespace

std::vector<TensorType> infer_by_decomposition(const OpInfo& op,
                                               const std::vector<TensorType>& inputs,
                                               const AttrMap& attrs) {
  Graph scratch(op.name);
  std::vector<Value*> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ins.push_back(scratch.add_input("in" + std::to_string(i), inputs[i].shape, inputs[i].dtype));
  }
  Builder b(&scratch);
  std::vector<TensorType> out;
  try {
    for (Value* v : op.decompose_fn(b, ins, attrs)) out.push_back(v->type);
  } catch (const ShapeError& e) {
    rethrow_naming(op.name, e);
  } catch (const DTypeError& e) {
    rethrow_naming(op.name, e);
  } catch (const UnsupportedOpError& e) {
    rethrow_naming(op.name, e);
  } catch (const Error& e) {
    if (typeid(e) != typeid(Error)) throw;  // InternalError, ...: class and text kept
    rethrow_naming(op.name, e);
  }
  return out;
}

std::vector<Value*> Builder::call(const std::string& name, std::vector<Value*> inputs,
                                  const AttrMap& attrs) {
  const OpInfo& op = OpRegistry::global().get(name);
  for (Value* v : inputs) {
    if (!v) CINN_THROW(Error) << "op '" << name << "': an input is null";
  }
  AttrMap full = op.validate(inputs.size(), attrs);
  // Random ops (an int attribute rng_stream) left at -1 take the next stream of the graph,
  // so that two random ops of one program never draw the same numbers.
  if (auto it = full.find("rng_stream");
      it != full.end() && attr_kind(it->second) == AttrKind::kInt && std::get<int64_t>(it->second) == -1) {
    int64_t next = 0;
    for (const auto& node : graph_->nodes()) {
      auto s = node->attrs.find("rng_stream");
      if (s != node->attrs.end() && attr_kind(s->second) == AttrKind::kInt) {
        next = std::max(next, std::get<int64_t>(s->second) + 1);
      }
    }
    it->second = next;
  }
  if (op.broadcasts && inputs.size() == 2) {
    if (inputs[0]->dtype() != inputs[1]->dtype()) {
      CINN_THROW(DTypeError) << "op '" << name << "': operands have different dtypes, "
                             << inputs[0]->type.to_string() << " and "
                             << inputs[1]->type.to_string() << "; cast one of them";
    }
    Shape out = broadcast_shapes(name, inputs[0]->shape(), inputs[1]->shape());
    for (Value*& v : inputs) {
      if (v->shape() != out) v = call1("broadcast_to", {v}, {{"shape", out}});
    }
  }
  std::vector<TensorType> in_types;
  for (Value* v : inputs) in_types.push_back(v->type);
  std::vector<TensorType> out_types =
      op.is_composite() ? infer_by_decomposition(op, in_types, full)
                        : op.infer(OpCall{op, in_types, full});
  Node* n = graph_->add_node(&op, std::move(inputs), std::move(full), out_types);
  return n->outputs;
}

Value* Builder::scalar(double value, common::Type dtype) {
  return call1("fill_constant", {}, {{"shape", Shape{}}, {"value", value}, {"dtype", dtype}});
}

Value* Builder::full(const TensorType& t, double value) {
  return call1("broadcast_to", {scalar(value, t.dtype)}, {{"shape", t.shape}});
}

Value* Builder::call1(const std::string& name, std::vector<Value*> inputs, const AttrMap& attrs) {
  auto outs = call(name, std::move(inputs), attrs);
  if (outs.size() != 1) {
    CINN_THROW(Error) << "op '" << name << "' has " << outs.size() << " results, expected one";
  }
  return outs[0];
}

}  // namespace cinn::hlir
