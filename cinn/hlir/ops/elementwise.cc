// Elementwise primitives: unary math, binary arithmetic, compare, logical, select, cast.
#include "cinn/hlir/ops/op_util.h"
#include "cinn/ir/intrinsics.h"

namespace cinn::hlir::ops {
namespace {

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
        if (info->float_only) require_float(c);
        if (c.inputs[0].dtype.is_bool()) {
          OP_THROW(c, DTypeError) << "expects a number, got bool";
        }
        return std::vector<common::Type>{info->returns_bool ? common::Bool() : c.inputs[0].dtype};
      })
      .compute(elementwise_compute([n = std::string(name)](const auto& in, const auto& i) {
        return ir::make_intrinsic(n, {in[0](i)});
      }));
}

using BinaryExprFn = Expr (*)(Expr, Expr);

void register_binary(const char* name, const char* doc, BinaryExprFn f, bool numbers_only = true) {
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
      .compute(elementwise_compute([f](const auto& in, const auto& i) { return f(in[0](i), in[1](i)); }));
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
           {"ceil", "round toward +inf"}, {"round", "round half away from zero"},
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
      .compute(elementwise_compute([](const auto& in, const auto& i) { return -in[0](i); }));

  register_binary("add", "x + y (broadcasting)", add_fn);
  register_binary("sub", "x - y (broadcasting)", sub_fn);
  register_binary("mul", "x * y (broadcasting)", mul_fn);
  register_binary("div", "x / y (broadcasting; integers round toward -inf, like Python's //)",
                  div_fn);
  register_binary("max", "elementwise maximum (broadcasting)", max_fn);
  register_binary("min", "elementwise minimum (broadcasting)", min_fn);
  register_binary("mod", "x mod y (broadcasting; the sign follows y, like Python's %)", mod_fn);
  register_binary("pow", "x ** y (broadcasting; floats)", pow_fn);

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
        .compute(elementwise_compute([f = f](const auto& in, const auto& i) { return f(in[0](i), in[1](i)); }));
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
      .compute(elementwise_compute([](const auto& in, const auto& i) { return !in[0](i); }));

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
      });

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
      }));

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
      });
  return true;
}

[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace cinn::hlir::ops
