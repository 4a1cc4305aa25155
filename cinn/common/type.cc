#include "cinn/common/type.h"

#include <unordered_map>

#include "cinn/common/error.h"

namespace cinn::common {

std::string Type::to_string() const {
  std::string s;
  switch (code_) {
    case Code::kInt: s = "int" + std::to_string(bits_); break;
    case Code::kUInt: s = "uint" + std::to_string(bits_); break;
    case Code::kFloat: s = "float" + std::to_string(bits_); break;
    case Code::kBFloat: s = "bfloat16"; break;
    case Code::kBool: s = "bool"; break;
    case Code::kHandle: s = "handle"; break;
    case Code::kVoid: return "void";
  }
  if (lanes_ > 1) s += "x" + std::to_string(lanes_);
  return s;
}

Type Type::parse(const std::string& name) {
  static const std::unordered_map<std::string, Type> kNames = {
      {"bool", Bool()},         {"int8", Int(8)},      {"int16", Int(16)},
      {"int32", Int(32)},       {"int64", Int(64)},    {"uint8", UInt(8)},
      {"uint16", UInt(16)},     {"uint32", UInt(32)},  {"uint64", UInt(64)},
      {"float16", Float(16)},   {"float32", Float(32)}, {"float64", Float(64)},
      {"bfloat16", BFloat16()}, {"f16", Float(16)},    {"f32", Float(32)},
      {"f64", Float(64)},       {"bf16", BFloat16()},  {"i8", Int(8)},
      {"i16", Int(16)},         {"i32", Int(32)},      {"i64", Int(64)},
      {"u8", UInt(8)},          {"half", Float(16)},   {"float", Float(32)},
      {"double", Float(64)},
  };
  auto it = kNames.find(name);
  if (it == kNames.end()) {
    CINN_THROW(DTypeError) << "unknown dtype '" << name
                           << "'; expected one of bool, int8..int64, uint8..uint64, float16, "
                              "bfloat16, float32, float64";
  }
  return it->second;
}

}  // namespace cinn::common
