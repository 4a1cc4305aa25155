#include "cinn/ir/intrinsics.h"

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"

namespace cinn::ir {
namespace {

const IntrinsicInfo kIntrinsics[] = {
    // name, arity, float_only, returns_bool
    {"exp", 1, true, false},    {"exp2", 1, true, false},   {"expm1", 1, true, false},
    {"log", 1, true, false},    {"log2", 1, true, false},   {"log10", 1, true, false},
    {"log1p", 1, true, false},  {"sqrt", 1, true, false},   {"rsqrt", 1, true, false},
    {"cbrt", 1, true, false},   {"tanh", 1, true, false},   {"erf", 1, true, false},
    {"sigmoid", 1, true, false}, {"pow", 2, true, false},   {"sin", 1, true, false},
    {"cos", 1, true, false},    {"tan", 1, true, false},    {"atan", 1, true, false},
    {"sinh", 1, true, false},   {"cosh", 1, true, false},   {"floor", 1, false, false},
    {"ceil", 1, false, false},  {"round", 1, false, false}, {"trunc", 1, false, false},
    {"abs", 1, false, false},   {"isnan", 1, true, true},   {"isinf", 1, true, true},
    {"isfinite", 1, true, true},
};

const IntrinsicInfo kReinterpretInfo = {kReinterpret, 1, false, false};

}  // namespace

const IntrinsicInfo* find_intrinsic(const std::string& name) {
  for (const auto& i : kIntrinsics) {
    if (name == i.name) return &i;
  }
  return name == kReinterpret ? &kReinterpretInfo : nullptr;
}

std::vector<std::string> intrinsic_names() {
  std::vector<std::string> names;
  for (const auto& i : kIntrinsics) names.emplace_back(i.name);
  return names;
}

Expr make_intrinsic(const std::string& name, std::vector<Expr> args) {
  const IntrinsicInfo* info = find_intrinsic(name);
  if (info == &kReinterpretInfo) {
    CINN_THROW(UnsupportedOpError) << "'" << name
                                   << "' needs a result type; build it with make_reinterpret";
  }
  if (!info) {
    std::string known;
    for (const auto& n : intrinsic_names()) known += (known.empty() ? "" : ", ") + n;
    CINN_THROW(UnsupportedOpError) << "unknown intrinsic '" << name << "'; known: " << known;
  }
  if (static_cast<int>(args.size()) != info->arity) {
    CINN_THROW(UnsupportedOpError) << "intrinsic '" << name << "' takes " << info->arity
                                   << " argument(s), got " << args.size();
  }
  if (args.size() == 2) match_types(name.c_str(), &args[0], &args[1]);
  for (const Expr& a : args) {
    if (info->float_only && !a.type().is_float()) {
      CINN_THROW(DTypeError) << name << "(" << a << "): expects a floating-point argument, got "
                             << a.type() << "; cast it first";
    }
    if (a.type().is_bool()) {
      CINN_THROW(DTypeError) << name << "(" << a << "): bool argument";
    }
  }
  Type t = info->returns_bool ? common::Bool(args[0].type().lanes()) : args[0].type();
  return Call::make(t, name, std::move(args), Call::Kind::kIntrinsic);
}

Expr make_reinterpret(Type t, Expr x) {
  CINN_CHECK(x.defined()) << "reinterpret of a null expression";
  Type from = x.type();
  if (t.lanes() != from.lanes() || t.bits() != from.bits() || t.is_bool() || from.is_bool() ||
      t.is_void() || t.is_handle() || from.is_handle()) {
    CINN_THROW(DTypeError) << "reinterpret<" << t << ">(" << x << "): " << from
                           << " and " << t << " differ in width or lanes, or are not numbers";
  }
  return Call::make(t, kReinterpret, {std::move(x)}, Call::Kind::kIntrinsic);
}

namespace {

const char* combiner_suffix(NodeKind k) {
  switch (k) {
    case NodeKind::kAdd: return "add";
    case NodeKind::kMul: return "mul";
    case NodeKind::kMax: return "max";
    case NodeKind::kMin: return "min";
    default: return nullptr;
  }
}

}  // namespace

bool gpu_block_reduce_supports(Type t) {
  return t.lanes() == 1 && ((t.is_float() && (t.bits() == 32 || t.bits() == 64)) ||
                            (t.is_int() && (t.bits() == 32 || t.bits() == 64)));
}

Expr make_gpu_block_reduce(NodeKind combiner, Expr value) {
  const char* suffix = combiner_suffix(combiner);
  CINN_CHECK(suffix) << "gpu_block_reduce: combiner must be add, mul, max or min";
  if (!gpu_block_reduce_supports(value.type())) {
    CINN_THROW(DTypeError) << "gpu_block_reduce: no block reduction of " << value.type()
                           << " (float32, float64, int32 and int64 are supported)";
  }
  Type t = value.type();
  return Call::make(t, std::string(kGpuBlockReducePrefix) + suffix, {std::move(value)}, Call::Kind::kExtern);
}

bool is_gpu_block_reduce(const Call* c, NodeKind* combiner) {
  if (c->call_kind != Call::Kind::kExtern || c->name.rfind(kGpuBlockReducePrefix, 0) != 0) return false;
  std::string suffix = c->name.substr(std::string(kGpuBlockReducePrefix).size());
  for (NodeKind k : {NodeKind::kAdd, NodeKind::kMul, NodeKind::kMax, NodeKind::kMin}) {
    if (suffix == combiner_suffix(k)) {
      if (combiner) *combiner = k;
      return true;
    }
  }
  return false;
}

}  // namespace cinn::ir
