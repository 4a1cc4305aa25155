// Exact integer arithmetic for the bounds analysis and the simplifier.
//
// IR integers have at most 64 bits, so the sum, difference or product of two of them is exact
// in 128-bit arithmetic. Results are then either checked against the range of the IR type (to
// prove that an operation cannot wrap) or wrapped into it (two's complement, as ir.h
// specifies). Division and modulo round towards negative infinity, like the IR's Div and Mod.
#pragma once

#include <cstdint>

#include "cinn/common/type.h"

namespace cinn::ir::intmath {

using i128 = __int128;

// Smallest and largest value of a signed integer or bool type.
inline i128 type_min(Type t) { return t.is_bool() ? 0 : -(static_cast<i128>(1) << (t.bits() - 1)); }
inline i128 type_max(Type t) {
  return t.is_bool() ? 1 : (static_cast<i128>(1) << (t.bits() - 1)) - 1;
}
inline bool fits_in(Type t, i128 v) { return v >= type_min(t) && v <= type_max(t); }

// v modulo 2^bits(t), as a value of the signed type t (bool: v != 0).
inline int64_t wrap_to(Type t, i128 v) {
  using u128 = unsigned __int128;
  if (t.is_bool()) return v != 0;
  const int bits = t.bits();
  const u128 m = static_cast<u128>(v) & ((static_cast<u128>(1) << bits) - 1);
  i128 r = static_cast<i128>(m);
  if ((m >> (bits - 1)) & 1) r -= static_cast<i128>(1) << bits;
  return static_cast<int64_t>(r);
}

// floor(a / b) and a - b * floor(a / b); b != 0.
inline i128 floor_div(i128 a, i128 b) {
  i128 q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}
inline i128 floor_mod(i128 a, i128 b) { return a - floor_div(a, b) * b; }

}  // namespace cinn::ir::intmath
