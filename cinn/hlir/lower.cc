#include "cinn/hlir/lower.h"

#include <map>
#include <set>

#include "cinn/hlir/ops/op_util.h"
#include "cinn/lang/lower.h"

namespace cinn::hlir {
namespace {

// Unique tensor names (blocks are found by name). Backends make them identifiers.
class Namer {
 public:
  std::string operator()(const Value* v) {
    std::string name = v->name;
    for (int i = 1; !used_.insert(name).second; ++i) name = v->name + "_" + std::to_string(i);
    return name;
  }

 private:
  std::set<std::string> used_;
};

}  // namespace

LoweredGroup lower_group(const FusionGroup& group) {
  Namer namer;
  std::map<const Value*, lang::Tensor> tensors;
  LoweredGroup out;
  std::vector<lang::Tensor> args;
  for (Value* v : group.inputs) {
    lang::Tensor t = lang::placeholder(ops::to_exprs(v->shape()), v->dtype(), namer(v));
    tensors[v] = t;
    args.push_back(t);
    out.args.push_back(v);
  }
  for (Node* n : group.nodes) {
    CINN_CHECK(n->op->compute_fn) << "op '" << n->op_name() << "' has no compute (composite ops "
                                  << "must be decomposed before lowering)";
    std::vector<TensorType> in_types;
    std::vector<lang::Tensor> ins;
    for (Value* v : n->inputs) {
      in_types.push_back(v->type);
      ins.push_back(tensors.at(v));
    }
    OpCall call{*n->op, in_types, n->attrs};
    ComputeCall cc{call, ins, {}, {}};
    for (Value* v : n->outputs) {
      cc.outputs.push_back(v->type);
      cc.output_names.push_back(namer(v));
    }
    std::vector<lang::Tensor> results = n->op->compute_fn(cc);
    CINN_CHECK(results.size() == n->outputs.size()) << "op '" << n->op_name() << "' compute returned "
                                                    << results.size() << " tensors";
    for (size_t i = 0; i < results.size(); ++i) tensors[n->outputs[i]] = results[i];
  }
  for (Value* v : group.outputs) {
    args.push_back(tensors.at(v));
    out.args.push_back(v);
  }
  out.func = lang::lower(group.name, args);
  return out;
}

}  // namespace cinn::hlir
