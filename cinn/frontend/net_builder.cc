#include "cinn/frontend/net_builder.h"

#include "cinn/frontend/passes.h"

namespace cinn::frontend {

NetBuilder::NetBuilder(const std::string& name) : NetBuilder(std::make_shared<hlir::Graph>(name)) {}

Value* NetBuilder::input(const std::vector<int64_t>& shape, common::Type dtype, const std::string& name) {
  return graph().add_input(name, shape, dtype);
}

Program NetBuilder::build(const std::vector<Value*>& outputs) {
  if (outputs.empty()) CINN_THROW(Error) << "NetBuilder::build: a program needs at least one output";
  graph().set_outputs(outputs);
  Program p(eliminate_dead_code(graph()));
  p.built_ = owned_;
  p.built_outputs_.assign(outputs.begin(), outputs.end());
  return p;
}

const Value* Program::from_built(const Value* v) const {
  if (!v) return nullptr;
  for (size_t i = 0; i < built_outputs_.size(); ++i) {
    if (built_outputs_[i] == v) return graph_->outputs()[i];
  }
  if (built_) {
    for (const Value* in : built_->inputs()) {
      if (in == v) return graph_->input(v->name);
    }
  }
  for (const Value* o : graph_->outputs()) {
    if (o == v) return o;
  }
  for (const Value* in : graph_->inputs()) {
    if (in == v) return in;
  }
  return nullptr;
}

Value* NetBuilder::fill_constant(const std::vector<int64_t>& shape, double value, common::Type dtype) {
  return call1("fill_constant", {}, {{"shape", shape}, {"value", value}, {"dtype", dtype}});
}

hlir::DecomposeFn net_rule(NetRule rule) {
  return [rule = std::move(rule)](hlir::Builder& b, const std::vector<Value*>& in,
                                  const hlir::AttrMap& attrs) {
    NetBuilder nb(&b.graph());
    return rule(nb, in, attrs);
  };
}

hlir::VJPFn net_vjp(NetVJP rule) {
  return [rule = std::move(rule)](hlir::Builder& b, const hlir::Node& n,
                                  const std::vector<Value*>& g) {
    NetBuilder nb(&b.graph());
    return rule(nb, n, g);
  };
}

}  // namespace cinn::frontend
