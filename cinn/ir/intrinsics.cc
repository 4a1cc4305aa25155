#include "cinn/ir/intrinsics.h"

#include <algorithm>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"

namespace cinn::ir {
namespace {

constexpr auto kF = IntrinsicArgs::kFloat;
constexpr auto kN = IntrinsicArgs::kNumber;
constexpr auto kI = IntrinsicArgs::kInteger;
constexpr auto kSame = IntrinsicResult::kArgType;
constexpr auto kBool = IntrinsicResult::kBool;

// clang-format off
const IntrinsicInfo kIntrinsics[] = {
    // name, arity, arguments, result
    {"exp", 1, kF, kSame},      {"exp2", 1, kF, kSame},     {"expm1", 1, kF, kSame},
    {"log", 1, kF, kSame},      {"log2", 1, kF, kSame},     {"log10", 1, kF, kSame},
    {"log1p", 1, kF, kSame},    {"sqrt", 1, kF, kSame},     {"rsqrt", 1, kF, kSame},
    {"cbrt", 1, kF, kSame},     {"tanh", 1, kF, kSame},     {"erf", 1, kF, kSame},
    {"sigmoid", 1, kF, kSame},  {"pow", 2, kF, kSame},      {"sin", 1, kF, kSame},
    {"cos", 1, kF, kSame},      {"tan", 1, kF, kSame},      {"atan", 1, kF, kSame},
    {"sinh", 1, kF, kSame},     {"cosh", 1, kF, kSame},     {"floor", 1, kN, kSame},
    {"ceil", 1, kN, kSame},     {"round", 1, kN, kSame},    {"trunc", 1, kN, kSame},
    {"abs", 1, kN, kSame},      {"isnan", 1, kF, kBool},    {"isinf", 1, kF, kBool},
    {"isfinite", 1, kF, kBool},
    {"bitwise_and", 2, kI, kSame}, {"bitwise_or", 2, kI, kSame}, {"bitwise_xor", 2, kI, kSame},
    {"shift_left", 2, kI, kSame},  {"shift_right", 2, kI, kSame},
    {kPhiloxUniform, 3, kI, IntrinsicResult::kFloat32},
};
// clang-format on

const IntrinsicInfo kReinterpretInfo = {kReinterpret, 1, kN, kSame};

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
  for (const Expr& a : args) {
    if (a.type().is_bool()) {
      CINN_THROW(DTypeError) << name << "(" << a << "): bool argument";
    }
    if (info->args == IntrinsicArgs::kFloat && !a.type().is_float()) {
      CINN_THROW(DTypeError) << name << "(" << a << "): expects a floating-point argument, got "
                             << a.type() << "; cast it first";
    }
    if (info->args == IntrinsicArgs::kInteger && !a.type().is_integer()) {
      CINN_THROW(DTypeError) << name << "(" << a << "): expects an integer argument, got "
                             << a.type();
    }
  }
  if (info->result == IntrinsicResult::kFloat32) {
    // philox_uniform: 64-bit integer arguments, scalars broadcast to the widest.
    int lanes = 1;
    for (const Expr& a : args) lanes = std::max(lanes, a.type().lanes());
    for (Expr& a : args) {
      if (a.type().lanes() != 1 && a.type().lanes() != lanes) {
        CINN_THROW(DTypeError) << name << ": arguments with " << a.type().lanes() << " and "
                               << lanes << " lanes";
      }
      Type t64 = a.type().is_uint() ? common::UInt(64, a.type().lanes())
                                    : common::Int(64, a.type().lanes());
      if (a.type() != t64) a = Cast::make(t64, a);
      if (lanes > 1 && a.type().lanes() == 1) a = Broadcast::make(a, lanes);
    }
    return Call::make(common::Float(32, lanes), name, std::move(args), Call::Kind::kIntrinsic);
  }
  if (args.size() == 2) match_types(name.c_str(), &args[0], &args[1]);
  Type t = info->result == IntrinsicResult::kBool ? common::Bool(args[0].type().lanes())
                                                  : args[0].type();
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

Expr make_gpu_sync_threads() {
  return Call::make(common::Int(32), kGpuSyncThreads, {}, Call::Kind::kExtern);
}

bool is_gpu_sync_threads(const Call* c) {
  return c->call_kind == Call::Kind::kExtern && c->name == kGpuSyncThreads;
}

bool is_gpu_barrier(const Call* c) { return is_gpu_block_reduce(c) || is_gpu_sync_threads(c); }

}  // namespace cinn::ir
