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
  return Program(eliminate_dead_code(graph()));
}

Value* NetBuilder::fill_constant(const std::vector<int64_t>& shape, double value, common::Type dtype) {
  return call1("fill_constant", {}, {{"shape", shape}, {"value", value}, {"dtype", dtype}});
}

Value* NetBuilder::constant_like(double value, Value* like) {
  return broadcast_to(fill_constant({}, value, like->dtype()), like->shape());
}

hlir::DecomposeFn net_rule(NetRule rule) {
  return [rule = std::move(rule)](hlir::Builder& b, const std::vector<Value*>& in,
                                  const hlir::AttrMap& attrs) {
    NetBuilder nb(&b.graph());
    return rule(nb, in, attrs);
  };
}

}  // namespace cinn::frontend
