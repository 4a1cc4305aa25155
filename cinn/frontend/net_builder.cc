#include "cinn/frontend/net_builder.h"

#include <optional>
#include <set>

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

void Program::set_aliases(std::vector<std::pair<int, int>> aliases) {
  const auto& ins = graph_->inputs();
  const auto& outs = graph_->outputs();
  std::set<int> seen_in, seen_out;
  for (auto [o, i] : aliases) {
    if (o < 0 || o >= static_cast<int>(outs.size()) || i < 0 || i >= static_cast<int>(ins.size())) {
      CINN_THROW(Error) << "alias (output " << o << ", input " << i << "): the program has " << outs.size()
                        << " outputs and " << ins.size() << " inputs";
    }
    if (!seen_in.insert(i).second || !seen_out.insert(o).second) {
      CINN_THROW(Error) << "alias (output " << o << ", input " << i << "): each input and output may be "
                        << "aliased once";
    }
    if (!(outs[o]->type == ins[i]->type)) {
      CINN_THROW(Error) << "output " << o << " (" << outs[o]->type.to_string() << ") cannot update input '"
                        << ins[i]->name << "' (" << ins[i]->type.to_string() << ") in place";
    }
    for (size_t k = 0; k < outs.size(); ++k) {
      if (static_cast<int>(k) != o && outs[k] == ins[i]) {
        CINN_THROW(Error) << "input '" << ins[i]->name << "' is updated in place by output " << o
                          << ", so it cannot also be returned as output " << k;
      }
    }
  }
  aliases_ = std::move(aliases);
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

hlir::DecomposeFn net_rule_in_float(NetRule rule) {
  return [rule = std::move(rule)](hlir::Builder& b, const std::vector<Value*>& in,
                                  const hlir::AttrMap& attrs) {
    NetBuilder nb(&b.graph());
    std::optional<common::Type> narrow;
    std::vector<Value*> wide = in;
    for (Value*& v : wide) {
      common::Type t = v ? v->type.dtype : common::Type();
      if (!v || !t.is_float() || t.bits() != 16) continue;
      if (!narrow) narrow = t;
      v = nb.cast(v, common::Float(32));
    }
    std::vector<Value*> out = rule(nb, wide, attrs);
    if (!narrow) return out;
    for (Value*& v : out) {
      if (v && v->type.dtype == common::Float(32)) v = nb.cast(v, *narrow);
    }
    return out;
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
