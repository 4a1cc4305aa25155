// Scalar and vector element types.
//
// A Type is a value: a code (signed int, unsigned int, float, bfloat, bool, opaque handle),
// a bit width and a number of vector lanes. `f32x16` is Float(32, 16). Bool is its own code
// with 1 bit: comparisons produce it, and it is stored as one byte in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace cinn::common {

class Type {
 public:
  enum class Code : uint8_t { kInt, kUInt, kFloat, kBFloat, kBool, kHandle, kVoid };

  constexpr Type() = default;
  constexpr Type(Code code, int bits, int lanes = 1) : code_(code), bits_(bits), lanes_(lanes) {}

  Code code() const { return code_; }
  int bits() const { return bits_; }
  int lanes() const { return lanes_; }
  // Bytes one element occupies in memory (bool: 1).
  int bytes() const { return code_ == Code::kBool ? lanes_ : (bits_ * lanes_ + 7) / 8; }

  bool is_int() const { return code_ == Code::kInt; }
  bool is_uint() const { return code_ == Code::kUInt; }
  bool is_integer() const { return is_int() || is_uint(); }
  bool is_float() const { return code_ == Code::kFloat || code_ == Code::kBFloat; }
  bool is_bfloat() const { return code_ == Code::kBFloat; }
  bool is_bool() const { return code_ == Code::kBool; }
  bool is_handle() const { return code_ == Code::kHandle; }
  bool is_void() const { return code_ == Code::kVoid; }
  bool is_scalar() const { return lanes_ == 1; }
  bool is_vector() const { return lanes_ > 1; }

  // Of a float type: the significand's bits, the implicit leading one included (11 for
  // float16, 8 for bfloat16), and the exponent's bits.
  int significand_bits() const { return is_bfloat() ? 8 : bits_ == 16 ? 11 : bits_ == 32 ? 24 : 53; }
  int exponent_bits() const { return is_bfloat() ? 8 : bits_ == 16 ? 5 : bits_ == 32 ? 8 : 11; }

  Type with_lanes(int lanes) const { return Type(code_, bits_, lanes); }
  Type element_of() const { return with_lanes(1); }

  bool operator==(const Type& o) const {
    return code_ == o.code_ && bits_ == o.bits_ && lanes_ == o.lanes_;
  }
  bool operator!=(const Type& o) const { return !(*this == o); }

  // numpy-style name of the element type ("float32", "int64", "bool", "bfloat16"), with
  // "x<lanes>" appended for vectors.
  std::string to_string() const;
  // Parses the numpy-style names (and the short forms f32, i64, ...). Throws DTypeError.
  static Type parse(const std::string& name);

 private:
  Code code_ = Code::kVoid;
  int bits_ = 0;
  int lanes_ = 1;
};

inline std::ostream& operator<<(std::ostream& os, const Type& t) { return os << t.to_string(); }

constexpr Type Int(int bits, int lanes = 1) { return Type(Type::Code::kInt, bits, lanes); }
constexpr Type UInt(int bits, int lanes = 1) { return Type(Type::Code::kUInt, bits, lanes); }
constexpr Type Float(int bits, int lanes = 1) { return Type(Type::Code::kFloat, bits, lanes); }
constexpr Type BFloat16(int lanes = 1) { return Type(Type::Code::kBFloat, 16, lanes); }
constexpr Type Bool(int lanes = 1) { return Type(Type::Code::kBool, 1, lanes); }
constexpr Type Handle() { return Type(Type::Code::kHandle, 64); }
constexpr Type Void() { return Type(Type::Code::kVoid, 0); }
// The type of loop variables, shapes and buffer indices.
constexpr Type IndexType() { return Int(64); }

}  // namespace cinn::common

namespace cinn {
using common::Type;
}

template <>
struct std::hash<cinn::common::Type> {
  size_t operator()(const cinn::common::Type& t) const {
    return (static_cast<size_t>(t.code()) << 24) ^ (static_cast<size_t>(t.bits()) << 12) ^
           static_cast<size_t>(t.lanes());
  }
};
