#include "cinn/frontend/passes.h"

#include <cstring>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

namespace cinn::frontend {

using hlir::AttrMap;
using hlir::Builder;
using hlir::ConstData;
using hlir::ConstDataPtr;
using hlir::Graph;
using hlir::Node;
using hlir::Value;

std::unique_ptr<Graph> decompose(const Graph& g) {
  bool expanded = false;
  hlir::NodeRewriter expand = [&](Builder& b, const Node& n, const std::vector<Value*>& ins)
      -> std::optional<std::vector<Value*>> {
    if (!n.op->is_composite()) return std::nullopt;
    expanded = true;
    return n.op->decompose_fn(b, ins, n.attrs);
  };
  auto out = hlir::rewrite_graph(g, expand);
  for (int round = 0; expanded; ++round) {
    if (round >= 32) {
      CINN_THROW(InternalError) << "decomposition does not terminate (a composite expands to itself?)";
    }
    expanded = false;
    out = hlir::rewrite_graph(*out, expand);
  }
  return out;
}

std::unique_ptr<Graph> eliminate_dead_code(const Graph& g) {
  return hlir::rewrite_graph(g, nullptr, /*drop_dead=*/true);
}

namespace {

struct NodeKey {
  const hlir::OpInfo* op;
  std::vector<const Value*> inputs;
  const AttrMap* attrs;
  bool operator==(const NodeKey& o) const {
    if (op != o.op || inputs != o.inputs || attrs->size() != o.attrs->size()) return false;
    for (auto a = attrs->begin(), b = o.attrs->begin(); a != attrs->end(); ++a, ++b) {
      if (a->first != b->first || !hlir::attr_equal(a->second, b->second)) return false;
    }
    return true;
  }
};

struct NodeKeyHash {
  size_t operator()(const NodeKey& k) const {
    size_t h = std::hash<const void*>()(k.op);
    auto mix = [&h](size_t x) { h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    for (const Value* v : k.inputs) mix(std::hash<const void*>()(v));
    for (const auto& [name, a] : *k.attrs) {
      mix(std::hash<std::string>()(name));
      mix(hlir::attr_hash(a));
    }
    return h;
  }
};

}  // namespace

std::unique_ptr<Graph> eliminate_common_subexpressions(const Graph& g) {
  std::unordered_map<NodeKey, std::vector<Value*>, NodeKeyHash> seen;
  return hlir::rewrite_graph(g, [&](Builder& b, const Node& n, const std::vector<Value*>& ins)
                                 -> std::optional<std::vector<Value*>> {
    std::vector<const Value*> key_ins(ins.begin(), ins.end());
    NodeKey key{n.op, key_ins, &n.attrs};
    auto it = seen.find(key);
    if (it != seen.end()) return it->second;
    std::vector<hlir::TensorType> types;
    for (Value* v : n.outputs) types.push_back(v->type);
    Node* copy = b.graph().add_node(n.op, ins, n.attrs, types);
    seen.emplace(NodeKey{n.op, key_ins, &copy->attrs}, copy->outputs);
    return copy->outputs;
  });
}

namespace {

const Node* producer_of(const Value* v, const char* op) {
  return v->producer && v->producer->op_name() == op ? v->producer : nullptr;
}

// The value of a fill_constant producing `v`, if any.
std::optional<double> splat_value(const Value* v) {
  if (const Node* n = producer_of(v, "fill_constant")) return hlir::get_attr<double>(n->attrs, "value");
  return std::nullopt;
}

bool is_splat(const Value* v, double c) {
  auto s = splat_value(v);
  return s && *s == c;
}

Value* fill_like(Builder& b, const hlir::TensorType& t, double value) {
  return b.call1("fill_constant", {},
                 {{"shape", t.shape}, {"value", value}, {"dtype", t.dtype}});
}

// Whether every value of dtype `from` is exactly representable in `to`.
bool holds_all_values(common::Type from, common::Type to) {
  if (from.is_bool()) return true;
  if (from.is_float()) {
    return to.is_float() && to.significand_bits() >= from.significand_bits() &&
           to.exponent_bits() >= from.exponent_bits();
  }
  bool from_signed = from.is_int();
  if (from_signed || from.is_uint()) {
    int value_bits = from.bits() - (from_signed ? 1 : 0);
    if (to.is_float()) return value_bits <= to.significand_bits();
    if (to.is_int()) return to.bits() > value_bits;
    if (to.is_uint()) return !from_signed && to.bits() >= from.bits();
  }
  return false;
}

std::vector<int64_t> normalized_perm(const Node& n) {
  auto perm = hlir::get_attr<std::vector<int64_t>>(n.attrs, "perm");
  int64_t r = static_cast<int64_t>(perm.size());
  for (auto& p : perm) p = p < 0 ? p + r : p;
  return perm;
}

}  // namespace

std::unique_ptr<Graph> simplify(const Graph& g) {
  return hlir::rewrite_graph(g, [](Builder& b, const Node& n, const std::vector<Value*>& in)
                                 -> std::optional<std::vector<Value*>> {
    const std::string& op = n.op_name();
    const hlir::TensorType& out = n.outputs[0]->type;
    auto keep = [&](Value* v) -> std::optional<std::vector<Value*>> {
      if (v->type == out) return std::vector<Value*>{v};
      return std::nullopt;
    };
    if (op == "mul") {
      if (is_splat(in[1], 1.0)) return keep(in[0]);
      if (is_splat(in[0], 1.0)) return keep(in[1]);
    } else if (op == "div") {
      if (is_splat(in[1], 1.0)) return keep(in[0]);
    } else if (op == "add") {
      if (is_splat(in[1], 0.0)) return keep(in[0]);
      if (is_splat(in[0], 0.0)) return keep(in[1]);
    } else if (op == "sub") {
      if (is_splat(in[1], 0.0)) return keep(in[0]);
    } else if (op == "neg") {
      if (const Node* p = producer_of(in[0], "neg")) return keep(p->inputs[0]);
    } else if (op == "transpose") {
      std::vector<int64_t> perm = normalized_perm(n);
      Value* x = in[0];
      if (const Node* p = producer_of(x, "transpose")) {
        // out[i] = x[perm[i]] dims, x = transpose(y, q): out dim i is y's dim q[perm[i]].
        std::vector<int64_t> q = normalized_perm(*p), composed(perm.size());
        for (size_t i = 0; i < perm.size(); ++i) composed[i] = q[static_cast<size_t>(perm[i])];
        perm = composed;
        x = p->inputs[0];
      }
      if (auto s = splat_value(x)) return std::vector<Value*>{fill_like(b, out, *s)};
      std::vector<int64_t> id(perm.size());
      std::iota(id.begin(), id.end(), 0);
      if (perm == id) return keep(x);
      if (x != in[0]) return std::vector<Value*>{b.call1("transpose", {x}, {{"perm", perm}})};
    } else if (op == "reshape" || op == "broadcast_to") {
      Value* x = in[0];
      if (const Node* p = producer_of(x, op.c_str())) x = p->inputs[0];
      if (auto s = splat_value(x)) return std::vector<Value*>{fill_like(b, out, *s)};
      if (x->shape() == out.shape) return keep(x);
      if (x != in[0]) return std::vector<Value*>{b.call1(op, {x}, {{"shape", out.shape}})};
    } else if (op == "cast") {
      Value* x = in[0];
      if (const Node* p = producer_of(x, "cast")) {
        if (holds_all_values(p->inputs[0]->dtype(), p->outputs[0]->dtype())) x = p->inputs[0];
      }
      if (x->dtype() == out.dtype) return keep(x);
      if (x != in[0]) return std::vector<Value*>{b.call1("cast", {x}, {{"dtype", out.dtype}})};
    }
    return std::nullopt;
  });
}

namespace {

// Whether a value is computed from constant ops only (no graph input reaches it).
class ConstantValues {
 public:
  bool operator()(const Value* v) {
    if (!v->producer) return false;
    auto it = memo_.find(v);
    if (it != memo_.end()) return it->second;
    bool c = true;
    for (const Value* in : v->producer->inputs) c = c && (*this)(in);
    return memo_[v] = c;
  }

 private:
  std::map<const Value*, bool> memo_;
};

// `v` before the broadcast_to nodes that made it.
Value* unbroadcast(Value* v) {
  while (const Node* p = producer_of(v, "broadcast_to")) v = p->inputs[0];
  return v;
}

// `s` before broadcasting, if it varies along axis 1 of a rank-4 result only (shape [],
// [k], [k, 1, 1] or [1, k, 1, 1] with k in {1, channels}): as [k, 1, 1, 1].
Value* channel_scale(Builder& b, Value* s, int64_t channels) {
  s = unbroadcast(s);
  std::vector<int64_t> shape = s->shape();
  if (shape.size() > 4) return nullptr;
  shape.insert(shape.begin(), 4 - shape.size(), 1);
  if (shape[0] != 1 || shape[2] != 1 || shape[3] != 1) return nullptr;
  if (shape[1] != 1 && shape[1] != channels) return nullptr;
  return b.call1("reshape", {s}, {{"shape", std::vector<int64_t>{shape[1], 1, 1, 1}}});
}

}  // namespace

std::unique_ptr<Graph> fold_conv_scales(const Graph& g) {
  std::map<const Value*, int> uses;
  for (const auto& n : g.nodes()) {
    for (const Value* v : n->inputs) ++uses[v];
  }
  for (const Value* v : g.outputs()) ++uses[v];
  ConstantValues constant;
  return hlir::rewrite_graph(g, [&](Builder& b, const Node& n, const std::vector<Value*>& in)
                                 -> std::optional<std::vector<Value*>> {
    if (n.op_name() != "mul") return std::nullopt;
    for (int side = 0; side < 2; ++side) {
      const Value* old_x = n.inputs[side];
      const Value* old_s = n.inputs[1 - side];
      if (uses[old_x] != 1 || !constant(old_s)) continue;
      // x = conv2d(...), or conv2d(...) +/- c with c constant.
      const Node* conv = old_x->producer;
      const Node* shift = nullptr;
      if (conv && (conv->op_name() == "add" || conv->op_name() == "sub")) {
        shift = conv;
        const Value* a = shift->inputs[0];
        conv = a->producer;
        if (uses[a] != 1 || !constant(shift->inputs[1])) continue;
      }
      if (!conv || conv->op_name() != "conv2d" || !constant(conv->inputs[1])) continue;
      Value* y = in[side];
      Node* new_conv = shift ? y->producer->inputs[0]->producer : y->producer;
      Value* w = new_conv->inputs[1];
      if (w->dtype() != in[1 - side]->dtype()) continue;
      Value* s = channel_scale(b, in[1 - side], w->shape()[0]);
      if (!s) continue;
      Value* out = b.call1("conv2d", {new_conv->inputs[0], b.call1("mul", {w, s})},
                             new_conv->attrs);
      if (shift) {
        // c * s from the operands before broadcasting, so the literal stays small.
        Value* c = unbroadcast(y->producer->inputs[1]);
        out = b.call1(shift->op_name(), {out, b.call1("mul", {c, unbroadcast(in[1 - side])})});
      }
      if (!(out->type == n.outputs[0]->type)) continue;  // broadcasting made another shape
      return std::vector<Value*>{out};
    }
    return std::nullopt;
  });
}

namespace {

// The element of a literal as a double, if that conversion is exact for its dtype.
std::optional<double> element_as_double(const ConstData& d, size_t k) {
  std::optional<double> out;
  hlir::visit_element(d, k, [&](auto v) {
    using T = decltype(v);
    if constexpr (std::is_same_v<T, int64_t>) {
      double dv = static_cast<double>(v);  // exact when it converts back (and is in range)
      if (dv > -9.2e18 && dv < 9.2e18 && static_cast<int64_t>(dv) == v) out = dv;
    } else {
      out = static_cast<double>(v);
    }
  });
  return out;
}

// The common value of all elements, if they are equal and exactly a double.
std::optional<double> splat_of(const ConstData& d) {
  size_t esize = static_cast<size_t>(d.dtype.bytes());
  size_t n = esize ? d.bytes.size() / esize : 0;
  if (n == 0) return std::nullopt;
  for (size_t k = 1; k < n; ++k) {
    if (std::memcmp(d.bytes.data(), d.bytes.data() + k * esize, esize) != 0) return std::nullopt;
  }
  return element_as_double(d, 0);
}

}  // namespace

std::unique_ptr<Graph> fold_constants(const Graph& g, const ConstantEvaluator& evaluate,
                                      int64_t max_bytes) {
  // Constant nodes: source ops (fill_constant, iota, constant), and nodes whose inputs are
  // all constant and whose results are not too large to keep as literals.
  std::set<const Node*> constant;
  for (const auto& n : g.nodes()) {
    bool c = true;
    for (const Value* v : n->inputs) c = c && v->producer && constant.count(v->producer);
    for (const Value* v : n->outputs) {
      c = c && (n->inputs.empty() || hlir::num_elements(v->shape()) * v->dtype().bytes() <= max_bytes);
    }
    if (c) constant.insert(n.get());
  }
  // Values to fold: made by a constant node with inputs, used by a non-constant node or
  // returned.
  std::set<const Value*> fold;
  auto needs = [&](const Value* v) {
    const Node* p = v->producer;
    if (p && constant.count(p) && !p->inputs.empty()) fold.insert(v);
  };
  for (const auto& n : g.nodes()) {
    if (constant.count(n.get())) continue;
    for (const Value* v : n->inputs) needs(v);
  }
  for (const Value* v : g.outputs()) needs(v);
  if (fold.empty()) return hlir::rewrite_graph(g, nullptr);

  // The constant subgraph computing them, evaluated by the compiler.
  Graph sub(g.name() + "_constants");
  std::map<const Value*, Value*> vmap;
  std::vector<Value*> sub_outs;
  for (const auto& n : g.nodes()) {
    if (!constant.count(n.get())) continue;
    std::vector<Value*> ins;
    for (const Value* v : n->inputs) ins.push_back(vmap.at(v));
    std::vector<hlir::TensorType> types;
    for (const Value* v : n->outputs) types.push_back(v->type);
    Node* c = sub.add_node(n->op, ins, n->attrs, types);
    for (size_t i = 0; i < types.size(); ++i) vmap[n->outputs[i]] = c->outputs[i];
  }
  std::vector<const Value*> order;
  for (const auto& n : g.nodes()) {
    for (const Value* v : n->outputs) {
      if (fold.count(v)) {
        order.push_back(v);
        sub_outs.push_back(vmap.at(v));
      }
    }
  }
  sub.set_outputs(sub_outs);
  std::vector<ConstDataPtr> values = evaluate(*eliminate_dead_code(sub));
  CINN_CHECK(values.size() == order.size()) << "constant folding: the evaluator returned "
                                            << values.size() << " values for " << order.size();
  std::map<const Value*, ConstDataPtr> literal;
  for (size_t i = 0; i < order.size(); ++i) literal[order[i]] = values[i];

  // Results of constant nodes that are not folded feed only constant nodes, which are folded
  // or dead once their consumers are: placeholders for them go with the final DCE.
  auto folded = hlir::rewrite_graph(
      g,
      [&](Builder& b, const Node& n, const std::vector<Value*>&) -> std::optional<std::vector<Value*>> {
        bool any = false;
        for (const Value* v : n.outputs) any = any || literal.count(v);
        if (!any) return std::nullopt;
        std::vector<Value*> results;
        for (const Value* v : n.outputs) {
          auto it = literal.find(v);
          if (it == literal.end()) {
            results.push_back(fill_like(b, v->type, 0.0));
          } else if (auto s = splat_of(*it->second)) {
            results.push_back(fill_like(b, v->type, *s));
          } else {
            results.push_back(b.call1("constant", {}, {{"value", it->second}}));
          }
        }
        return results;
      },
      /*drop_dead=*/true);
  return eliminate_dead_code(*folded);
}

}  // namespace cinn::frontend
