// C99 spelling of IR types, immediates and names, shared by the C backend's printer,
// intrinsics and helpers.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "cinn/common/type.h"

namespace cinn::backends::c {

// Binding strength of a printed C expression (C's operator precedence, tighter is higher).
// The printer parenthesizes a child whose precedence is below what its parent needs.
enum class Prec : uint8_t {
  kTernary = 1,  // c ? a : b
  kOr,           // ||
  kAnd,          // &&
  kEquality,     // == !=
  kRelational,   // < <= > >=
  kAdditive,     // + -
  kMultiplicative,
  kUnary,    // casts, !, unary minus, negative literals
  kPrimary,  // names, literals, calls, subscripts, parenthesized expressions
};

// A printed C expression and how tightly it binds.
struct CExpr {
  std::string text;
  Prec prec = Prec::kPrimary;
};

// `e` as an operand that must bind at least as tightly as `need`.
std::string operand(const CExpr& e, Prec need);

// The C type of a scalar value of type t: int8_t..int64_t, uint8_t..uint64_t, float, double,
// bool, void* (handles), void. float16 and bfloat16 values are floats (is_half_type);
// vectors throw UnsupportedOpError.
std::string c_type(Type t);
// The C element type of a buffer of dtype t in memory: as c_type, except bool, which is
// stored as uint8_t (one byte, 0 or 1) so that a stray byte is never a trap representation,
// and float16 / bfloat16, stored as their 16 bits in cinn_float16 / cinn_bfloat16 (structs,
// so that a value cannot be used without its conversion; Helpers::half).
std::string c_storage_type(Type t);
// float16 and bfloat16: computed in float, rounded back to the type (to nearest, ties to
// even) after every operation, which gives the type's own correctly rounded + - * / and sqrt
// (float has more than twice their precision plus two bits).
bool is_half_type(Type t);
// v rounded to float16 / bfloat16 (to nearest, ties to even; overflow to infinity).
double round_to_half_type(Type t, double v);
// "i64", "u8", "f32", ...: the suffix of the helper functions for type t.
std::string type_suffix(Type t);
// Types narrower than int, whose arithmetic C performs in int after promotion.
bool is_promoted_in_c(Type t);

// Immediates, exact and of the right C type where it matters (INT64_C, u, f suffixes).
std::string c_int_literal(Type t, int64_t v);
std::string c_uint_literal(Type t, uint64_t v);
std::string c_float_literal(Type t, double v);
std::string c_string_literal(const std::string& s);

// True if `name` is an identifier and not a C99 keyword.
bool is_c_identifier(const std::string& name);
// True if `name` is a valid C identifier the generated code may declare: not a keyword, not
// a name the generated file uses itself (libm, stdint, helpers, the ABI's parameters).
bool is_free_c_identifier(const std::string& name);
// A valid identifier derived from `name` ("a.b" -> "a_b", "0x" -> "v_0x", "for" -> "for_").
// Not necessarily free of collisions: callers add suffixes.
std::string sanitize_identifier(const std::string& name);

}  // namespace cinn::backends::c
