#include "cinn/backends/c/c_intrinsics.h"

#include <algorithm>

#include "cinn/common/error.h"

namespace cinn::backends::c {
namespace {

enum class Form : uint8_t {
  kLibm,         // libm function; floats only
  kRounding,     // libm function on floats; the identity on integers
  kAbs,          // fabs on floats, a wrapping helper on signed integers, identity on unsigned
  kRsqrt,        // 1 / sqrt(x)
  kSigmoid,      // 1 / (1 + exp(-x))
  kPredicate,    // classification macro on floats (bool result); a constant on integers
  kReinterpret,  // the bits as another type of the same width, through a union
  kBitwise,      // a C operator on integers (c_name is the operator)
};

struct Rule {
  const char* name;
  int arity;
  Form form;
  const char* c_name;  // the float64 libm name; float32 appends 'f'
};

// clang-format off: one intrinsic per line
constexpr Rule kRules[] = {
    {"abs", 1, Form::kAbs, "fabs"},           {"acos", 1, Form::kLibm, "acos"},
    {"acosh", 1, Form::kLibm, "acosh"},       {"asin", 1, Form::kLibm, "asin"},
    {"asinh", 1, Form::kLibm, "asinh"},       {"atan", 1, Form::kLibm, "atan"},
    {"bitwise_and", 2, Form::kBitwise, "&"},  {"bitwise_or", 2, Form::kBitwise, "|"},
    {"bitwise_xor", 2, Form::kBitwise, "^"},  {"shift_left", 2, Form::kBitwise, "<<"},
    {"shift_right", 2, Form::kBitwise, ">>"},
    {"atan2", 2, Form::kLibm, "atan2"},       {"atanh", 1, Form::kLibm, "atanh"},
    {"cbrt", 1, Form::kLibm, "cbrt"},         {"ceil", 1, Form::kRounding, "ceil"},
    {"copysign", 2, Form::kLibm, "copysign"}, {"cos", 1, Form::kLibm, "cos"},
    {"cosh", 1, Form::kLibm, "cosh"},         {"erf", 1, Form::kLibm, "erf"},
    {"erfc", 1, Form::kLibm, "erfc"},         {"exp", 1, Form::kLibm, "exp"},
    {"exp2", 1, Form::kLibm, "exp2"},         {"expm1", 1, Form::kLibm, "expm1"},
    {"floor", 1, Form::kRounding, "floor"},   {"fma", 3, Form::kLibm, "fma"},
    {"fmod", 2, Form::kLibm, "fmod"},  // truncated remainder, unlike the IR's floor Mod
    {"hypot", 2, Form::kLibm, "hypot"},       {"isfinite", 1, Form::kPredicate, "isfinite"},
    {"isinf", 1, Form::kPredicate, "isinf"},  {"isnan", 1, Form::kPredicate, "isnan"},
    {"lgamma", 1, Form::kLibm, "lgamma"},     {"log", 1, Form::kLibm, "log"},
    {"log10", 1, Form::kLibm, "log10"},       {"log1p", 1, Form::kLibm, "log1p"},
    {"log2", 1, Form::kLibm, "log2"},         {"pow", 2, Form::kLibm, "pow"},
    {"reinterpret", 1, Form::kReinterpret, ""},
    {"round", 1, Form::kRounding, "rint"},  // half to even, like numpy
    {"rsqrt", 1, Form::kRsqrt, "sqrt"},       {"sigmoid", 1, Form::kSigmoid, "exp"},
    {"sin", 1, Form::kLibm, "sin"},           {"sinh", 1, Form::kLibm, "sinh"},
    {"sqrt", 1, Form::kLibm, "sqrt"},         {"tan", 1, Form::kLibm, "tan"},
    {"tanh", 1, Form::kLibm, "tanh"},         {"tgamma", 1, Form::kLibm, "tgamma"},
    {"trunc", 1, Form::kRounding, "trunc"},
};
// clang-format on

const Rule* find_rule(const std::string& name) {
  for (const Rule& r : kRules) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

std::string libm_name(const Rule& r, Type t) {
  return std::string(r.c_name) + (c_type(t) == "float" ? "f" : "");
}

std::string call_text(const std::string& fn, const std::vector<CExpr>& args) {
  std::string s = fn + "(";
  for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i].text;
  return s + ")";
}

}  // namespace

CExpr lower_intrinsic(const ir::Call& call, const std::vector<CExpr>& args, Helpers* helpers) {
  const Rule* rule = find_rule(call.name);
  if (!rule) {
    std::string known;
    for (const std::string& n : known_intrinsics()) known += (known.empty() ? "" : ", ") + n;
    CINN_THROW(UnsupportedOpError)
        << "C backend: unknown intrinsic '" << call.name << "'; the C backend knows " << known;
  }
  if (static_cast<int>(call.args.size()) != rule->arity) {
    CINN_THROW(InternalError) << "intrinsic '" << call.name << "' takes " << rule->arity
                              << " argument(s), got " << call.args.size();
  }
  Type arg_t = call.args[0].type();
  if (rule->form == Form::kReinterpret && (is_half_type(arg_t) || is_half_type(call.type))) {
    CINN_THROW(UnsupportedOpError) << "C backend: intrinsic '" << call.name << "' from " << arg_t << " to "
                                   << call.type << ": float16 / bfloat16 bits are not reinterpreted";
  }
  if (rule->form == Form::kReinterpret) {
    // Reading another union member than the one last stored reinterprets the bytes (C99 TC3
    // footnote 82, C11 footnote 95, to 6.5.2.3); unlike memcpy it needs no <string.h>.
    return {"((union { " + c_type(arg_t) + " from; " + c_type(call.type) + " to; }){" +
                args[0].text + "}).to",
            Prec::kPrimary};
  }
  for (const ir::Expr& a : call.args) {
    if (a.type() != arg_t) {
      CINN_THROW(DTypeError) << "intrinsic '" << call.name << "': arguments of different types "
                             << arg_t << " and " << a.type();
    }
  }
  Type result_t = rule->form == Form::kPredicate ? common::Bool() : arg_t;
  if (call.type != result_t) {
    CINN_THROW(DTypeError) << "intrinsic '" << call.name << "' on " << arg_t << " returns "
                           << result_t << ", but the call has type " << call.type;
  }
  bool is_float = arg_t.is_float();
  bool f32 = c_type(arg_t) == "float";  // rejects vectors; float16 / bfloat16 compute in float
  std::string one = f32 ? "1.0f" : "1.0";
  switch (rule->form) {
    case Form::kLibm:
      if (is_float) return {call_text(libm_name(*rule, arg_t), args), Prec::kPrimary};
      break;
    case Form::kRounding:
      if (is_float) return {call_text(libm_name(*rule, arg_t), args), Prec::kPrimary};
      if (arg_t.is_integer()) return args[0];
      break;
    case Form::kAbs:
      if (is_float) return {call_text(libm_name(*rule, arg_t), args), Prec::kPrimary};
      if (arg_t.is_uint()) return args[0];
      if (arg_t.is_int()) return {call_text(helpers->abs(arg_t), args), Prec::kPrimary};
      break;
    case Form::kRsqrt:
      if (is_float) {
        return {one + " / " + call_text(libm_name(*rule, arg_t), args), Prec::kMultiplicative};
      }
      break;
    case Form::kSigmoid:
      if (is_float) {
        return {one + " / (" + one + " + " + libm_name(*rule, arg_t) + "(-" +
                    operand(args[0], Prec::kPrimary) + "))",
                Prec::kMultiplicative};
      }
      break;
    case Form::kPredicate:
      if (is_float) return {call_text(rule->c_name, args), Prec::kPrimary};
      if (arg_t.is_integer()) {
        return {std::string(rule->name) == "isfinite" ? "true" : "false", Prec::kPrimary};
      }
      break;
    case Form::kBitwise:
      if (arg_t.is_integer()) {
        // Cast back: operands narrower than int are promoted. A left shift of a signed value
        // goes through the unsigned type (a negative one would be undefined); a right shift
        // of a signed value is arithmetic with every C and CUDA compiler CINN uses.
        std::string a = operand(args[0], Prec::kUnary);
        if (std::string(rule->c_name) == "<<" && arg_t.is_int()) {
          a = "(" + c_type(common::UInt(arg_t.bits())) + ")" + a;
        }
        return {"((" + c_type(arg_t) + ")(" + a + " " + rule->c_name + " " +
                    operand(args[1], Prec::kUnary) + "))",
                Prec::kPrimary};
      }
      break;
    case Form::kReinterpret:
      break;  // handled above
  }
  CINN_THROW(UnsupportedOpError) << "C backend: intrinsic '" << call.name << "' on " << arg_t
                                 << " has no C form; cast the operand to float32 or float64";
}

std::vector<std::string> known_intrinsics() {
  std::vector<std::string> names;
  for (const Rule& r : kRules) names.emplace_back(r.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<CMathFunction> c_math_functions() {
  std::vector<CMathFunction> out = {{"fmin", 2, false}, {"fmax", 2, false}};  // float Min/Max
  for (const Rule& r : kRules) {
    if (r.form == Form::kReinterpret || r.form == Form::kBitwise) continue;
    bool known = false;
    for (const CMathFunction& f : out) known = known || f.name == r.c_name;
    // sigmoid calls exp with one argument, rsqrt sqrt: the arity is the libm function's.
    int arity = r.form == Form::kSigmoid || r.form == Form::kRsqrt ? 1 : r.arity;
    if (!known) out.push_back({r.c_name, arity, r.form == Form::kPredicate});
  }
  return out;
}

}  // namespace cinn::backends::c
