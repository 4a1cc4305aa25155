// Operator overloads for building IR by hand (tests, DSL, passes).
//
// An immediate operand takes the type of the other operand (`x * 2` with a float32 `x` is
// `x * 2.0f`); a scalar operand next to a vector is broadcast. Any other type mismatch is a
// DTypeError naming both operands.
#pragma once

#include "cinn/ir/ir.h"

namespace cinn::ir {

// Converts `e` to `t` if it is an immediate (or broadcasts it to t's lanes); else returns e.
Expr coerce_to(const Expr& e, Type t);
// Makes the pair's types agree by the rules above; throws DTypeError otherwise.
void match_types(const char* op, Expr* a, Expr* b);
// An immediate of type t holding v (int, uint, float or bool).
Expr make_const(Type t, double v);
Expr make_zero(Type t);
Expr make_one(Type t);

Expr operator+(Expr a, Expr b);
Expr operator-(Expr a, Expr b);
Expr operator*(Expr a, Expr b);
Expr operator/(Expr a, Expr b);
Expr operator%(Expr a, Expr b);
Expr operator-(Expr a);
Expr operator==(Expr a, Expr b);
Expr operator!=(Expr a, Expr b);
Expr operator<(Expr a, Expr b);
Expr operator<=(Expr a, Expr b);
Expr operator>(Expr a, Expr b);
Expr operator>=(Expr a, Expr b);
Expr operator&&(Expr a, Expr b);
Expr operator||(Expr a, Expr b);
Expr operator!(Expr a);
Expr min(Expr a, Expr b);
Expr max(Expr a, Expr b);
Expr select(Expr c, Expr t, Expr f);
Expr cast(Type t, Expr e);

// Value of an integer immediate, if e is one.
const int64_t* as_const_int(const Expr& e);
bool is_const_int(const Expr& e, int64_t v);
bool is_zero(const Expr& e);
bool is_one(const Expr& e);
// The largest power of two (up to 2^30) that divides every value of integer expression `e`.
// Integer arithmetic wraps modulo 2^bits, which keeps divisibility by powers of two, so no
// bounds are needed (the simplifier's Mod rules need them).
int64_t power_of_two_factor(const Expr& e);

}  // namespace cinn::ir
