#include "cinn/ir/interval.h"

#include <algorithm>
#include <cstdlib>

#include "cinn/ir/interval_math.h"

namespace cinn::ir {

using intmath::i128;
using intmath::type_max;
using intmath::type_min;

std::ostream& operator<<(std::ostream& os, const Interval& iv) {
  os << "[";
  if (iv.min) {
    os << *iv.min;
  } else {
    os << "-inf";
  }
  os << ", ";
  if (iv.max) {
    os << *iv.max;
  } else {
    os << "inf";
  }
  return os << "]";
}

namespace {

bool analyzable(Type t) { return t.is_int() || t.is_bool(); }

// Bounds in exact arithmetic; an unknown bound is the type's limit.
struct Bounds {
  i128 lo, hi;
  bool no_overflow;
};

class BoundsAnalyzer {
 public:
  explicit BoundsAnalyzer(const VarRanges& ranges) : ranges_(ranges) {}

  // Requires analyzable(e.type()).
  Bounds analyze(const Expr& e) {
    const Type t = e.type().element_of();
    switch (e.kind()) {
      case NodeKind::kIntImm: {
        i128 v = e.as<IntImm>()->value;
        return {v, v, true};
      }
      case NodeKind::kVar: return var(e.as<Var>(), t);
      case NodeKind::kAdd: {
        const auto* op = e.as<Add>();
        Bounds a = analyze(op->a), b = analyze(op->b);
        return arith(t, a.lo + b.lo, a.hi + b.hi, a.no_overflow && b.no_overflow);
      }
      case NodeKind::kSub: {
        const auto* op = e.as<Sub>();
        Bounds a = analyze(op->a), b = analyze(op->b);
        return arith(t, a.lo - b.hi, a.hi - b.lo, a.no_overflow && b.no_overflow);
      }
      case NodeKind::kMul: {
        const auto* op = e.as<Mul>();
        Bounds a = analyze(op->a), b = analyze(op->b);
        i128 c[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
        return arith(t, *std::min_element(c, c + 4), *std::max_element(c, c + 4),
                     a.no_overflow && b.no_overflow);
      }
      case NodeKind::kDiv: {
        const auto* op = e.as<Div>();
        return atom(div(t, analyze(op->a), analyze(op->b)));
      }
      case NodeKind::kMod: {
        const auto* op = e.as<Mod>();
        return atom(mod(t, analyze(op->a), analyze(op->b)));
      }
      case NodeKind::kMin: {
        const auto* op = e.as<Min>();
        Bounds a = analyze(op->a), b = analyze(op->b);
        return atom({std::min(a.lo, b.lo), std::min(a.hi, b.hi), true});
      }
      case NodeKind::kMax: {
        const auto* op = e.as<Max>();
        Bounds a = analyze(op->a), b = analyze(op->b);
        return atom({std::max(a.lo, b.lo), std::max(a.hi, b.hi), true});
      }
      case NodeKind::kSelect: {
        const auto* op = e.as<Select>();
        Bounds a = analyze(op->true_value), b = analyze(op->false_value);
        return atom({std::min(a.lo, b.lo), std::max(a.hi, b.hi), true});
      }
      case NodeKind::kCast: return atom(cast(t, e.as<Cast>()->value));
      case NodeKind::kBroadcast: return atom(analyze(e.as<Broadcast>()->value));
      case NodeKind::kRamp: {
        // base + stride * [0, lanes - 1]
        const auto* op = e.as<Ramp>();
        Bounds b = analyze(op->base), s = analyze(op->stride);
        const i128 n = op->lanes - 1;
        return arith(t, b.lo + std::min<i128>(0, s.lo * n), b.hi + std::max<i128>(0, s.hi * n),
                     b.no_overflow && s.no_overflow);
      }
      case NodeKind::kLet: {
        const auto* op = e.as<Let>();
        const Var* v = op->var.as<Var>();
        auto saved = lets_.find(v) == lets_.end() ? std::nullopt : std::optional<Bounds>(lets_[v]);
        if (analyzable(op->value.type())) {
          lets_[v] = analyze(op->value);
        } else {
          lets_.erase(v);
        }
        Bounds r = analyze(op->body);
        if (saved) {
          lets_[v] = *saved;
        } else {
          lets_.erase(v);
        }
        return atom(r);
      }
      default: return full(t);
    }
  }

 private:
  static Bounds full(Type t) { return {type_min(t), type_max(t), true}; }
  // An atom of the linear skeleton: its own value never counts as an overflow.
  static Bounds atom(Bounds b) {
    b.no_overflow = true;
    return b;
  }
  // The result of an Add/Sub/Mul/Ramp whose exact value lies in [lo, hi]: if that leaves the
  // type, the operation may wrap to any value.
  static Bounds arith(Type t, i128 lo, i128 hi, bool no_overflow) {
    if (lo < type_min(t) || hi > type_max(t)) return {type_min(t), type_max(t), false};
    return {lo, hi, no_overflow};
  }

  Bounds var(const Var* v, Type t) {
    if (auto it = lets_.find(v); it != lets_.end()) return atom(it->second);
    Bounds b = full(t);
    if (auto it = ranges_.find(v); it != ranges_.end()) {
      if (it->second.min) b.lo = std::max<i128>(b.lo, *it->second.min);
      if (it->second.max) b.hi = std::min<i128>(b.hi, *it->second.max);
      if (b.lo > b.hi) return full(t);  // contradictory ranges: claim nothing
    }
    return b;
  }

  // Floor division. Over a box, floor(a / b) is monotone in each operand separately, so
  // when b keeps one sign its extremes are at the corners.
  static Bounds div(Type t, Bounds a, Bounds b) {
    using intmath::floor_div;
    i128 lo, hi;
    if (b.lo > 0 || b.hi < 0) {
      i128 c[4] = {floor_div(a.lo, b.lo), floor_div(a.lo, b.hi), floor_div(a.hi, b.lo),
                   floor_div(a.hi, b.hi)};
      lo = *std::min_element(c, c + 4);
      hi = *std::max_element(c, c + 4);
    } else {
      // |floor(a / b)| <= |a| for every b != 0 (division by zero is undefined).
      i128 m = std::max(a.lo < 0 ? -a.lo : a.lo, a.hi < 0 ? -a.hi : a.hi);
      lo = -m;
      hi = m;
    }
    // Only min / -1 leaves the type; it wraps back to min.
    if (lo < type_min(t) || hi > type_max(t)) return full(t);
    return {lo, hi, true};
  }

  // Floor modulo: the result has the divisor's sign and |a % b| < |b|.
  static Bounds mod(Type t, Bounds a, Bounds b) {
    using intmath::floor_div;
    if (b.lo > 0) {
      if (b.lo == b.hi && floor_div(a.lo, b.lo) == floor_div(a.hi, b.lo)) {
        i128 k = floor_div(a.lo, b.lo) * b.lo;  // a lies in one period [k, k + b)
        return {a.lo - k, a.hi - k, true};
      }
      return {0, a.lo >= 0 ? std::min(a.hi, b.hi - 1) : b.hi - 1, true};
    }
    if (b.hi < 0) return {a.hi <= 0 ? std::max(a.lo, b.lo + 1) : b.lo + 1, 0, true};
    i128 m = std::max(-b.lo, b.hi);
    if (m == 0) return full(t);  // division by zero is undefined
    return {-(m - 1), m - 1, true};
  }

  Bounds cast(Type t, const Expr& value) {
    if (!analyzable(value.type())) return full(t);
    Bounds v = analyze(value);
    if (v.lo < type_min(t) || v.hi > type_max(t)) return full(t);
    return v;
  }

  const VarRanges& ranges_;
  std::map<const Var*, Bounds> lets_;
};

}  // namespace

BoundsInfo analyze_bounds(const Expr& e, const VarRanges& ranges) {
  if (!e.defined() || !analyzable(e.type())) return {Interval::everything(), false};
  const Type t = e.type().element_of();
  Bounds b = BoundsAnalyzer(ranges).analyze(e);
  Interval iv;
  if (b.lo > type_min(t)) iv.min = static_cast<int64_t>(b.lo);
  if (b.hi < type_max(t)) iv.max = static_cast<int64_t>(b.hi);
  return {iv, b.no_overflow};
}

Interval bounds_of(const Expr& e, const VarRanges& ranges) {
  return analyze_bounds(e, ranges).interval;
}

}  // namespace cinn::ir
