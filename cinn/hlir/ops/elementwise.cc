// Elementwise primitives: unary math, binary arithmetic, compare, logical, select, cast.
#include <map>

#include "cinn/hlir/ops/op_util.h"
#include "cinn/ir/intrinsics.h"

namespace cinn::hlir::ops {
namespace {

// ---- Gradient helpers: shorthand for the VJP rules below.
Value* mul(Builder& b, Value* x, Value* y) { return b.call1("mul", {x, y}); }
Value* div(Builder& b, Value* x, Value* y) { return b.call1("div", {x, y}); }
Value* neg(Builder& b, Value* x) { return b.call1("neg", {x}); }
Value* mul_scalar(Builder& b, Value* x, double c) { return mul(b, x, b.scalar(c, x->dtype())); }
Value* cmp(Builder& b, Value* x, Value* y, const char* op) {
  return b.call1("compare", {x, y}, {{"op", std::string(op)}});
}
Value* select(Builder& b, Value* c, Value* x, Value* y) { return b.call1("select", {c, x, y}); }

// The gradient of a unary op given x, y = f(x) and the result's gradient g; null when the
// derivative is zero wherever it exists (floor, ceil, round).
using UnaryGrad = std::function<Value*(Builder&, Value* x, Value* y, Value* g)>;

VJPFn unary_vjp(UnaryGrad f) {
  return [f](Builder& b, const Node& n, const std::vector<Value*>& g) {
    return std::vector<Value*>{f(b, n.inputs[0], n.outputs[0], g[0])};
  };
}

const std::map<std::string, UnaryGrad>& unary_grads() {
  static const std::map<std::string, UnaryGrad> rules = {
      {"exp", [](Builder& b, Value*, Value* y, Value* g) { return mul(b, g, y); }},
      {"log", [](Builder& b, Value* x, Value*, Value* g) { return div(b, g, x); }},
      // d sqrt(x) = 1 / (2 sqrt(x)): g * 0.5 / y
      {"sqrt", [](Builder& b, Value*, Value* y, Value* g) { return div(b, mul_scalar(b, g, 0.5), y); }},
      // d x^-1/2 = -x^-3/2 / 2 = -y^3 / 2
      {"rsqrt", [](Builder& b, Value*, Value* y, Value* g) {
         return mul(b, mul_scalar(b, g, -0.5), mul(b, y, mul(b, y, y)));
       }},
      // d tanh = 1 - tanh^2
      {"tanh", [](Builder& b, Value*, Value* y, Value* g) {
         return b.call1("sub", {g, mul(b, g, mul(b, y, y))});
       }},
      // d erf = 2 / sqrt(pi) exp(-x^2)
      {"erf", [](Builder& b, Value* x, Value*, Value* g) {
         Value* e = b.call1("exp", {neg(b, mul(b, x, x))});
         return mul(b, mul_scalar(b, g, 1.1283791670955126), e);
       }},
      {"sin", [](Builder& b, Value* x, Value*, Value* g) { return mul(b, g, b.call1("cos", {x})); }},
      {"cos", [](Builder& b, Value* x, Value*, Value* g) { return neg(b, mul(b, g, b.call1("sin", {x}))); }},
      // sign(x) g, 0 at x = 0 (PyTorch's choice)
      {"abs", [](Builder& b, Value* x, Value*, Value* g) {
         Value* zero = b.full(x->type, 0.0);
         return select(b, cmp(b, x, zero, "gt"), g,
                       select(b, cmp(b, x, zero, "lt"), neg(b, g), zero));
       }},
      {"floor", [](Builder&, Value*, Value*, Value*) { return nullptr; }},
      {"ceil", [](Builder&, Value*, Value*, Value*) { return nullptr; }},
      {"round", [](Builder&, Value*, Value*, Value*) { return nullptr; }},
  };
  return rules;
}

VJPFn intrinsic_vjp(const std::string& name, bool returns_bool) {
  if (returns_bool) return no_gradient();  // isnan, isinf
  auto it = unary_grads().find(name);
  CINN_CHECK(it != unary_grads().end()) << "no gradient rule for the intrinsic op " << name;
  return unary_vjp(it->second);
}

// max / min: the gradient goes to the larger (smaller) operand, half to each on a tie
// (torch.maximum's rule).
VJPFn extremum_vjp(const char* wins) {
  return [wins](Builder& b, const Node& n, const std::vector<Value*>& g) {
    Value *x = n.inputs[0], *y = n.inputs[1];
    Value* zero = b.full(x->type, 0.0);
    Value* half = mul_scalar(b, g[0], 0.5);
    Value* tie = cmp(b, x, y, "eq");
    return std::vector<Value*>{
        select(b, cmp(b, x, y, wins), g[0], select(b, tie, half, zero)),
        select(b, cmp(b, y, x, wins), g[0], select(b, tie, half, zero))};
  };
}

// A unary op computed by the math intrinsic of the same name.
void register_intrinsic_unary(const char* name, const char* doc) {
  const ir::IntrinsicInfo* info = ir::find_intrinsic(name);
  CINN_CHECK(info) << name;
  OpRegistry::global()
      .add(name)
      .describe(doc)
      .inputs({"x"})
      .pattern(OpPattern::kElementWise)
      .infer_shape(same_shape)
      .infer_dtype([info](const OpCall& c) {
        if (info->args == ir::IntrinsicArgs::kFloat) require_float(c);
        if (c.inputs[0].dtype.is_bool()) {
          OP_THROW(c, DTypeError) << "expects a number, got bool";
        }
        bool returns_bool = info->result == ir::IntrinsicResult::kBool;
        return std::vector<common::Type>{returns_bool ? common::Bool() : c.inputs[0].dtype};
      })
      .compute(elementwise_compute([n = std::string(name)](const auto& in, const auto& i) {
        return ir::make_intrinsic(n, {in[0](i)});
      }))
      .vjp(intrinsic_vjp(name, info->result == ir::IntrinsicResult::kBool));
}

using BinaryExprFn = Expr (*)(Expr, Expr);

void register_binary(const char* name, const char* doc, BinaryExprFn f, VJPFn vjp,
                     bool numbers_only = true) {
  OpRegistry::global()
      .add(name)
      .describe(doc)
      .inputs({"x", "y"})
      .broadcasting()
      .pattern(OpPattern::kElementWise)
      .infer_shape(same_shape)
      .infer_dtype([numbers_only](const OpCall& c) {
        if (numbers_only && c.inputs[0].dtype.is_bool()) {
          OP_THROW(c, DTypeError) << "expects numbers, got bool; cast to an integer first";
        }
        return same_dtype(c);
      })
      .compute(elementwise_compute([f](const auto& in, const auto& i) { return f(in[0](i), in[1](i)); }))
      .vjp(std::move(vjp));
}

Expr add_fn(Expr a, Expr b) { return a + b; }
Expr sub_fn(Expr a, Expr b) { return a - b; }
Expr mul_fn(Expr a, Expr b) { return a * b; }
Expr div_fn(Expr a, Expr b) { return a / b; }
Expr max_fn(Expr a, Expr b) { return ir::max(a, b); }
Expr min_fn(Expr a, Expr b) { return ir::min(a, b); }
Expr mod_fn(Expr a, Expr b) { return a % b; }
Expr pow_fn(Expr a, Expr b) { return ir::make_intrinsic("pow", {a, b}); }
Expr and_fn(Expr a, Expr b) { return a && b; }
Expr or_fn(Expr a, Expr b) { return a || b; }

Expr compare(const std::string& op, Expr a, Expr b) {
  if (op == "eq") return a == b;
  if (op == "ne") return a != b;
  if (op == "lt") return a < b;
  if (op == "le") return a <= b;
  if (op == "gt") return a > b;
  return a >= b;
}

bool register_all() {
  for (auto [n, d] : std::vector<std::pair<const char*, const char*>>{
           {"exp", "e^x"}, {"log", "natural logarithm"}, {"sqrt", "square root"},
           {"rsqrt", "1 / sqrt(x)"}, {"tanh", "hyperbolic tangent"},
           {"erf", "the error function"}, {"sin", "sine"}, {"cos", "cosine"},
           {"abs", "absolute value"}, {"floor", "round toward -inf"},
           {"ceil", "round toward +inf"}, {"round", "round to the nearest integer, halves to even"},
           {"isnan", "x is NaN (bool)"}, {"isinf", "x is +-inf (bool)"}}) {
    register_intrinsic_unary(n, d);
  }
  OpRegistry::global()
      .add("neg")
      .describe("-x")
      .inputs({"x"})
      .pattern(OpPattern::kElementWise)
      .infer_shape(same_shape)
      .infer_dtype([](const OpCall& c) {
        if (c.inputs[0].dtype.is_bool() || c.inputs[0].dtype.is_uint()) {
          OP_THROW(c, DTypeError) << "expects a signed number, got " << c.inputs[0].dtype;
        }
        return same_dtype(c);
      })
      .compute(elementwise_compute([](const auto& in, const auto& i) { return -in[0](i); }))
      .vjp([](Builder& b, const Node&, const std::vector<Value*>& g) {
        return std::vector<Value*>{neg(b, g[0])};
      });

  // The operands of a primitive binary op have one shape (Builder inserted broadcast_to,
  // whose own rule sums the gradient back), so these rules never reduce.
  register_binary("add", "x + y (broadcasting)", add_fn,
                  [](Builder&, const Node&, const std::vector<Value*>& g) {
                    return std::vector<Value*>{g[0], g[0]};
                  });
  register_binary("sub", "x - y (broadcasting)", sub_fn,
                  [](Builder& b, const Node&, const std::vector<Value*>& g) {
                    return std::vector<Value*>{g[0], neg(b, g[0])};
                  });
  register_binary("mul", "x * y (broadcasting)", mul_fn,
                  [](Builder& b, const Node& n, const std::vector<Value*>& g) {
                    return std::vector<Value*>{mul(b, g[0], n.inputs[1]), mul(b, g[0], n.inputs[0])};
                  });
  // d(x/y) = g / y, -g x / y^2 = -(g / y) (x / y)
  register_binary("div", "x / y (broadcasting; integers round toward -inf, like Python's //, and give 0 when y is 0)",
                  div_fn, [](Builder& b, const Node& n, const std::vector<Value*>& g) {
                    Value* gx = div(b, g[0], n.inputs[1]);
                    return std::vector<Value*>{gx, neg(b, mul(b, gx, n.outputs[0]))};
                  });
  register_binary("max", "elementwise maximum (broadcasting)", max_fn, extremum_vjp("gt"));
  register_binary("min", "elementwise minimum (broadcasting)", min_fn, extremum_vjp("lt"));
  // Float mod is x - y floor(x / y): d/dx = 1, d/dy = -floor(x / y).
  register_binary("mod", "x mod y (broadcasting; the sign follows y, like Python's %; integers give 0 when y is 0)", mod_fn,
                  [](Builder& b, const Node& n, const std::vector<Value*>& g) {
                    Value* q = b.call1("floor", {div(b, n.inputs[0], n.inputs[1])});
                    return std::vector<Value*>{g[0], neg(b, mul(b, g[0], q))};
                  });
  // d x^y = y x^(y-1) (0 where y = 0), x^y log(x) (0 where x = 0): PyTorch's masks.
  register_binary("pow", "x ** y (broadcasting; floats)", pow_fn,
                  [](Builder& b, const Node& n, const std::vector<Value*>& g) {
                    Value *x = n.inputs[0], *y = n.inputs[1], *out = n.outputs[0];
                    Value* zero = b.full(x->type, 0.0);
                    Value* ym1 = b.call1("sub", {y, b.scalar(1.0, y->dtype())});
                    Value* gx = mul(b, g[0], mul(b, y, b.call1("pow", {x, ym1})));
                    Value* gy = mul(b, g[0], mul(b, out, b.call1("log", {x})));
                    return std::vector<Value*>{select(b, cmp(b, y, zero, "eq"), zero, gx),
                                               select(b, cmp(b, x, zero, "eq"), zero, gy)};
                  });

  for (auto [n, f, d] : std::vector<std::tuple<const char*, BinaryExprFn, const char*>>{
           {"logical_and", and_fn, "x and y on bools (broadcasting)"},
           {"logical_or", or_fn, "x or y on bools (broadcasting)"}}) {
    OpRegistry::global()
        .add(n)
        .describe(d)
        .inputs({"x", "y"})
        .broadcasting()
        .pattern(OpPattern::kElementWise)
        .infer_shape(same_shape)
        .infer_dtype([](const OpCall& c) {
          for (const auto& t : c.inputs) {
            if (!t.dtype.is_bool()) OP_THROW(c, DTypeError) << "expects bools, got " << t.dtype;
          }
          return std::vector<common::Type>{common::Bool()};
        })
        .compute(elementwise_compute([f = f](const auto& in, const auto& i) { return f(in[0](i), in[1](i)); }))
        .vjp(no_gradient());
  }
  OpRegistry::global()
      .add("logical_not")
      .describe("not x on bools")
      .inputs({"x"})
      .pattern(OpPattern::kElementWise)
      .infer_shape(same_shape)
      .infer_dtype([](const OpCall& c) {
        if (!c.inputs[0].dtype.is_bool()) OP_THROW(c, DTypeError) << "expects bools, got " << c.inputs[0].dtype;
        return std::vector<common::Type>{common::Bool()};
      })
      .compute(elementwise_compute([](const auto& in, const auto& i) { return !in[0](i); }))
      .vjp(no_gradient());

  OpRegistry::global()
      .add("compare")
      .describe("x <op> y as bools, op one of eq, ne, lt, le, gt, ge (broadcasting)")
      .inputs({"x", "y"})
      .required_attr("op", AttrKind::kString, "eq, ne, lt, le, gt or ge")
      .broadcasting()
      .pattern(OpPattern::kElementWise)
      .infer_shape([](const OpCall& c) {
        const auto& op = c.attr<std::string>("op");
        if (op != "eq" && op != "ne" && op != "lt" && op != "le" && op != "gt" && op != "ge") {
          OP_THROW(c, Error) << "attribute 'op' must be one of eq, ne, lt, le, gt, ge; got '" << op << "'";
        }
        return same_shape(c);
      })
      .infer_dtype(bool_dtype)
      .compute([](const ComputeCall& c) {
        std::string op = c.call.attr<std::string>("op");
        return elementwise_compute([op](const auto& in, const auto& i) {
          return compare(op, in[0](i), in[1](i));
        })(c);
      })
      .vjp(no_gradient());

  OpRegistry::global()
      .add("select")
      .describe("cond ? x : y elementwise (cond bool; all three of one shape)")
      .inputs({"cond", "x", "y"})
      .pattern(OpPattern::kElementWise)
      .infer_shape(same_shape)
      .infer_dtype([](const OpCall& c) {
        if (!c.inputs[0].dtype.is_bool()) OP_THROW(c, DTypeError) << "cond must be bool, got " << c.inputs[0].dtype;
        if (c.inputs[1].dtype != c.inputs[2].dtype) {
          OP_THROW(c, DTypeError) << "x and y differ in dtype: " << c.inputs[1].dtype << " vs " << c.inputs[2].dtype;
        }
        return std::vector<common::Type>{c.inputs[1].dtype};
      })
      .compute(elementwise_compute([](const auto& in, const auto& i) {
        return ir::select(in[0](i), in[1](i), in[2](i));
      }))
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        Value* zero = b.full(g[0]->type, 0.0);
        return std::vector<Value*>{nullptr, select(b, n.inputs[0], g[0], zero),
                                   select(b, n.inputs[0], zero, g[0])};
      });

  OpRegistry::global()
      .add("cast")
      .describe("x converted to `dtype` (C conversion rules: floats truncate toward zero to ints)")
      .inputs({"x"})
      .required_attr("dtype", AttrKind::kDType, "the result dtype")
      .pattern(OpPattern::kElementWise)
      .infer_shape(same_shape)
      .infer_dtype([](const OpCall& c) { return std::vector<common::Type>{c.attr<common::Type>("dtype")}; })
      .compute([](const ComputeCall& c) {
        common::Type t = c.outputs[0].dtype;
        return elementwise_compute([t](const auto& in, const auto& i) { return ir::cast(t, in[0](i)); })(c);
      })
      // Float to float: the gradient converted back. From or to an integer: none.
      .vjp([](Builder& b, const Node& n, const std::vector<Value*>& g) {
        Value* x = n.inputs[0];
        if (!x->dtype().is_float() || !n.outputs[0]->dtype().is_float()) return std::vector<Value*>{nullptr};
        return std::vector<Value*>{b.call1("cast", {g[0]}, {{"dtype", x->dtype()}})};
      });
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
