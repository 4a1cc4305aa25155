// Op attributes: typed values, printed and compared.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "cinn/common/type.h"

namespace cinn::hlir {

// A tensor literal (the `constant` op, constant folding): row-major elements of `dtype`.
struct ConstData {
  common::Type dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};
using ConstDataPtr = std::shared_ptr<const ConstData>;

// Calls `f` with element k of `d` as a value of its C++ type (bool, float, double, int8_t,
// int16_t, int32_t, int64_t or uint8_t). False, without calling `f`, for other dtypes.
template <typename F>
bool visit_element(const ConstData& d, size_t k, F&& f) {
  const common::Type& t = d.dtype;
  const uint8_t* p = d.bytes.data() + k * static_cast<size_t>(t.bytes());
  auto call = [&](auto v) {
    std::memcpy(&v, p, sizeof(v));
    f(v);
    return true;
  };
  if (t.is_bool()) {
    uint8_t b;
    std::memcpy(&b, p, 1);
    f(b != 0);
    return true;
  }
  if (t.is_float() && t.bits() == 32) return call(float{});
  if (t.is_float() && t.bits() == 64) return call(double{});
  if (t.is_int() && t.bits() == 8) return call(int8_t{});
  if (t.is_int() && t.bits() == 16) return call(int16_t{});
  if (t.is_int() && t.bits() == 32) return call(int32_t{});
  if (t.is_int() && t.bits() == 64) return call(int64_t{});
  if (t.is_uint() && t.bits() == 8) return call(uint8_t{});
  return false;
}

// The `constant` op emits literals of at most this many elements inline in the kernel that
// uses them; compile() turns larger ones into constant buffers of the executable.
constexpr int64_t kMaxInlineConstant = 8;

using Attr = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                          std::vector<double>, common::Type, ConstDataPtr>;

// The kinds of Attr, in the order of the variant's alternatives.
enum class AttrKind { kBool, kInt, kFloat, kString, kInts, kFloats, kDType, kData };
const char* attr_kind_name(AttrKind k);
inline AttrKind attr_kind(const Attr& a) { return static_cast<AttrKind>(a.index()); }

using AttrMap = std::map<std::string, Attr>;

std::string attr_to_string(const Attr& a);
// Structural equality and hash (ConstData by content), for CSE and the compile cache.
bool attr_equal(const Attr& a, const Attr& b);
size_t attr_hash(const Attr& a);

// Typed access for op rules, after the registry has validated and defaulted the map.
template <typename T>
const T& get_attr(const AttrMap& attrs, const std::string& name) {
  return std::get<T>(attrs.at(name));
}

}  // namespace cinn::hlir
