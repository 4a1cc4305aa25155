// Composite activations. Each rule's formula is in its description.
#include "cinn/frontend/net_builder.h"

namespace cinn::frontend {
namespace {

using hlir::AttrMap;
using Values = std::vector<Value*>;

// relu(x) = max(x, 0)
CINN_REGISTER_OP(relu)
    .describe("max(x, 0)")
    .inputs({"x"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      return Values{b.max(in[0], b.constant_like(0.0, in[0]))};
    }));

// sigmoid(x) = 1 / (1 + exp(-x))
CINN_REGISTER_OP(sigmoid)
    .describe("1 / (1 + exp(-x))")
    .inputs({"x"})
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap&) {
      Value* one = b.constant_like(1.0, in[0]);
      return Values{b.div(one, b.add(one, b.exp(b.neg(in[0]))))};
    }));

// softmax(x, axis) = exp(x - max(x)) / sum(exp(x - max(x))), reductions over `axis`
CINN_REGISTER_OP(softmax)
    .describe("exp(x - max(x, axis)) / sum(exp(x - max(x, axis)), axis)")
    .inputs({"x"})
    .attr("axis", std::vector<int64_t>{-1}, "axes normalized over")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      auto axis = hlir::get_attr<std::vector<int64_t>>(a, "axis");
      Value* e = b.exp(b.sub(in[0], b.reduce(in[0], "max", axis, true)));
      return Values{b.div(e, b.reduce(e, "sum", axis, true))};
    }));

}  // namespace
}  // namespace cinn::frontend
