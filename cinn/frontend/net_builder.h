// frontend::Program and NetBuilder: building graphs of frontend ops.
//
//   NetBuilder b("mlp");
//   Value* x = b.input({32, 784}, Float(32), "x");
//   Value* w = b.input({784, 256}, Float(32), "w");
//   Program p = b.build({b.relu(b.matmul(x, w))});
//
// Every method is a thin call of the registered op of the same name (hlir::Builder::call):
// attributes are checked and defaulted by the registry, shapes and dtypes are inferred, and
// composites (relu, softmax, ...) are kept as single nodes until compilation decomposes them.
// The same class serves the decomposition rules, as a view over the graph being built.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cinn/hlir/builder.h"

namespace cinn::frontend {

using hlir::Value;

class Program {
 public:
  explicit Program(std::shared_ptr<const hlir::Graph> g) : graph_(std::move(g)) {}
  const hlir::Graph& graph() const { return *graph_; }
  std::shared_ptr<const hlir::Graph> graph_ptr() const { return graph_; }
  std::string to_string() const { return graph_->to_string(); }

 private:
  std::shared_ptr<const hlir::Graph> graph_;
};

class NetBuilder : public hlir::Builder {
 public:
  // A builder of a new program.
  explicit NetBuilder(const std::string& name);
  // A view adding ops to an existing graph (decomposition rules).
  explicit NetBuilder(hlir::Graph* graph) : hlir::Builder(graph) {}

  Value* input(const std::vector<int64_t>& shape, common::Type dtype, const std::string& name);
  // The program returning `outputs`: a copy of the graph without the ops that do not
  // reach them. The builder can go on adding ops afterwards.
  Program build(const std::vector<Value*>& outputs);

  // A scalar constant broadcast to `like`'s shape, with its dtype.
  Value* constant_like(double value, Value* like);
  Value* fill_constant(const std::vector<int64_t>& shape, double value,
                       common::Type dtype = common::Float(32));

#define CINN_UNARY(name) \
  Value* name(Value* x) { return call1(#name, {x}); }
#define CINN_BINARY(name) \
  Value* name(Value* x, Value* y) { return call1(#name, {x, y}); }
  CINN_UNARY(exp) CINN_UNARY(log) CINN_UNARY(sqrt) CINN_UNARY(rsqrt) CINN_UNARY(tanh)
  CINN_UNARY(erf) CINN_UNARY(sin) CINN_UNARY(cos) CINN_UNARY(abs) CINN_UNARY(neg)
  CINN_UNARY(floor) CINN_UNARY(ceil) CINN_UNARY(round) CINN_UNARY(isnan) CINN_UNARY(isinf)
  CINN_UNARY(logical_not)
  CINN_BINARY(add) CINN_BINARY(sub) CINN_BINARY(mul) CINN_BINARY(div) CINN_BINARY(max)
  CINN_BINARY(min) CINN_BINARY(mod) CINN_BINARY(pow) CINN_BINARY(logical_and)
  CINN_BINARY(logical_or)
#undef CINN_UNARY
#undef CINN_BINARY

  Value* compare(Value* x, Value* y, const std::string& op) { return call1("compare", {x, y}, {{"op", op}}); }
  Value* select(Value* c, Value* x, Value* y) { return call1("select", {c, x, y}); }
  Value* cast(Value* x, common::Type t) { return call1("cast", {x}, {{"dtype", t}}); }
  Value* broadcast_to(Value* x, const std::vector<int64_t>& shape) {
    return call1("broadcast_to", {x}, {{"shape", shape}});
  }
  Value* reshape(Value* x, const std::vector<int64_t>& shape) { return call1("reshape", {x}, {{"shape", shape}}); }
  Value* transpose(Value* x, const std::vector<int64_t>& perm) { return call1("transpose", {x}, {{"perm", perm}}); }
  Value* reduce(Value* x, const std::string& kind, const std::vector<int64_t>& axis = {},
                bool keepdim = false) {
    return call1("reduce", {x}, {{"kind", kind}, {"axis", axis}, {"keepdim", keepdim}});
  }
  Value* matmul(Value* x, Value* y, bool transpose_x = false, bool transpose_y = false) {
    return call1("matmul", {x, y}, {{"transpose_x", transpose_x}, {"transpose_y", transpose_y}});
  }

 private:
  explicit NetBuilder(std::shared_ptr<hlir::Graph> g) : hlir::Builder(g.get()), owned_(std::move(g)) {}
  std::shared_ptr<hlir::Graph> owned_;
};

// A decomposition rule written against NetBuilder, for OpInfo::decompose:
//   CINN_REGISTER_OP(relu).inputs({"x"}).decompose(net_rule([](NetBuilder& b, const auto& in,
//       const hlir::AttrMap&) { return std::vector<Value*>{b.max(in[0], b.constant_like(0, in[0]))}; }));
using NetRule = std::function<std::vector<Value*>(NetBuilder&, const std::vector<Value*>&,
                                                  const hlir::AttrMap&)>;
hlir::DecomposeFn net_rule(NetRule rule);

}  // namespace cinn::frontend
