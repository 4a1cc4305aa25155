#include "cinn/ir/simplify_rewrite.h"

#include <array>
#include <cmath>
#include <map>
#include <string>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify_internal.h"

namespace cinn::ir::simplify_detail {

// ---------------------------------------------------------------------------------------
// Node helpers

#define CINN_FOR_EACH_BINARY(M) \
  M(Add) M(Sub) M(Mul) M(Div) M(Mod) M(Min) M(Max) M(EQ) M(NE) M(LT) M(LE) M(GT) M(GE) M(And) M(Or)

bool binary_operands(const Expr& e, Expr* a, Expr* b) {
  switch (e.kind()) {
#define CINN_CASE(Name)            \
  case NodeKind::k##Name: {        \
    const auto* op = e.as<Name>(); \
    *a = op->a;                    \
    *b = op->b;                    \
    return true;                   \
  }
    CINN_FOR_EACH_BINARY(CINN_CASE)
#undef CINN_CASE
    default: return false;
  }
}

Expr make_binary(NodeKind k, Expr a, Expr b) {
  switch (k) {
#define CINN_CASE(Name) \
  case NodeKind::k##Name: return Name::make(std::move(a), std::move(b));
    CINN_FOR_EACH_BINARY(CINN_CASE)
#undef CINN_CASE
    default: CINN_THROW(InternalError) << "make_binary: " << node_kind_name(k) << " is not binary";
  }
}

Expr rebuild_binary(const Expr& e, const Expr& a, const Expr& b) {
  Expr oa, ob;
  CINN_CHECK(binary_operands(e, &oa, &ob)) << node_kind_name(e.kind()) << " is not binary";
  if (oa.same_as(a) && ob.same_as(b)) return e;
  return make_binary(e.kind(), a, b);
}

bool is_comparison(NodeKind k) {
  return k == NodeKind::kEQ || k == NodeKind::kNE || k == NodeKind::kLT || k == NodeKind::kLE ||
         k == NodeKind::kGT || k == NodeKind::kGE;
}

Expr make_int(Type t, i128 v) { return IntImm::make(t, intmath::wrap_to(t, v)); }

std::optional<bool> as_const_bool(const Expr& e) {
  const auto* i = e.as<IntImm>();
  if (!i || !i->type.is_bool()) return std::nullopt;
  return i->value != 0;
}

// ---------------------------------------------------------------------------------------
// Wildcards

namespace {

constexpr int kNumSlots = 7;  // x y z w c0 c1 c2

struct WildcardInfo {
  int slot;
  bool constant_only;
};

struct Registry {
  Wildcards w;
  std::map<const Var*, WildcardInfo> info;

  Registry() {
    auto make = [&](const char* name, Type t, int slot, bool constant_only) {
      Expr v = Var::make(name, t);
      info[v.as<Var>()] = {slot, constant_only};
      return v;
    };
    const Type i64 = common::IndexType(), f32 = common::Float(32), b = common::Bool();
    w.x = make("x", i64, 0, false);
    w.y = make("y", i64, 1, false);
    w.z = make("z", i64, 2, false);
    w.w = make("w", i64, 3, false);
    w.c0 = make("c0", i64, 4, true);
    w.c1 = make("c1", i64, 5, true);
    w.c2 = make("c2", i64, 6, true);
    w.fx = make("x", f32, 0, false);
    w.fy = make("y", f32, 1, false);
    w.fc0 = make("c0", f32, 4, true);
    w.bx = make("x", b, 0, false);
    w.by = make("y", b, 1, false);
    w.kTrue = make_const(b, 1);
    w.kFalse = make_const(b, 0);
  }
};

const Registry& registry() {
  static const Registry r;
  return r;
}

const WildcardInfo* wildcard_info(const Expr& p) {
  const Var* v = p.as<Var>();
  if (!v) return nullptr;
  const auto& info = registry().info;
  auto it = info.find(v);
  return it == info.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------
// Matching

struct Bindings {
  std::array<Expr, kNumSlots> slots;
  int lanes = 0;

  bool bind_lanes(int n) {
    if (lanes == 0) lanes = n;
    return lanes == n;
  }
};

bool is_immediate(const Expr& e) {
  return (e.as<IntImm>() && !e.type().is_bool()) || e.as<FloatImm>();
}

bool match(const Expr& p, const Expr& e, Bindings* b) {
  if (const WildcardInfo* w = wildcard_info(p)) {
    if (w->constant_only && !is_immediate(e)) return false;
    Expr& slot = b->slots[w->slot];
    if (slot.defined()) return structural_equal(slot, e);
    slot = e;
    return true;
  }
  if (p.kind() != e.kind()) return false;
  switch (p.kind()) {
    case NodeKind::kIntImm:
      return p.type().is_bool() == e.type().is_bool() &&
             p.as<IntImm>()->value == e.as<IntImm>()->value;
    case NodeKind::kFloatImm: {
      double pv = p.as<FloatImm>()->value, ev = e.as<FloatImm>()->value;
      return pv == ev && std::signbit(pv) == std::signbit(ev);
    }
    case NodeKind::kNot: return match(p.as<Not>()->a, e.as<Not>()->a, b);
    case NodeKind::kSelect: {
      const auto *ps = p.as<Select>(), *es = e.as<Select>();
      return match(ps->condition, es->condition, b) && match(ps->true_value, es->true_value, b) &&
             match(ps->false_value, es->false_value, b);
    }
    case NodeKind::kBroadcast: {
      const auto *pb = p.as<Broadcast>(), *eb = e.as<Broadcast>();
      return b->bind_lanes(eb->lanes) && match(pb->value, eb->value, b);
    }
    case NodeKind::kRamp: {
      const auto *pr = p.as<Ramp>(), *er = e.as<Ramp>();
      return b->bind_lanes(er->lanes) && match(pr->base, er->base, b) &&
             match(pr->stride, er->stride, b);
    }
    default: {
      Expr pa, pb, ea, eb;
      if (!binary_operands(p, &pa, &pb)) return false;
      binary_operands(e, &ea, &eb);
      return match(pa, ea, b) && match(pb, eb, b);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Instantiation

bool is_raw_immediate(const Expr& p) { return p.as<IntImm>() || p.as<FloatImm>(); }

// `a op b` of two integer immediates in exact arithmetic; undefined if the result leaves the
// type or divides by zero.
Expr fold_exact(NodeKind k, const Expr& a, const Expr& b) {
  const Type t = a.type();
  const i128 x = a.as<IntImm>()->value, y = b.as<IntImm>()->value;
  i128 r;
  switch (k) {
    case NodeKind::kAdd: r = x + y; break;
    case NodeKind::kSub: r = x - y; break;
    case NodeKind::kMul: r = x * y; break;
    case NodeKind::kDiv:
      if (y == 0) return Expr();
      r = intmath::floor_div(x, y);
      break;
    case NodeKind::kMod:
      if (y == 0) return Expr();
      r = intmath::floor_mod(x, y);
      break;
    default: return make_binary(k, a, b);
  }
  if (!intmath::fits_in(t, r)) return Expr();
  return IntImm::make(t, static_cast<int64_t>(r));
}

class Instantiator {
 public:
  explicit Instantiator(const Bindings& b) : b_(b) {}

  // `hint`: the type a bare immediate at this position takes. Undefined on failure.
  Expr build(const Expr& p, Type hint) {
    if (const WildcardInfo* w = wildcard_info(p)) {
      const Expr& bound = b_.slots[w->slot];
      CINN_CHECK(bound.defined()) << "rewrite rule uses an unbound wildcard";
      return bound;
    }
    switch (p.kind()) {
      case NodeKind::kIntImm: {
        if (p.type().is_bool()) return p;
        const int64_t v = p.as<IntImm>()->value;
        const Type t = hint.element_of();
        if (t.is_int()) return intmath::fits_in(t, v) ? IntImm::make(t, v) : Expr();
        return make_const(t, static_cast<double>(v));
      }
      case NodeKind::kFloatImm: return make_const(hint.element_of(), p.as<FloatImm>()->value);
      case NodeKind::kNot: {
        Expr a = build(p.as<Not>()->a, hint);
        return a.defined() ? Not::make(a) : Expr();
      }
      case NodeKind::kSelect: {
        const auto* s = p.as<Select>();
        Expr c = build(s->condition, common::Bool());
        Expr t = build(s->true_value, hint);
        Expr f = t.defined() ? build(s->false_value, t.type()) : Expr();
        return c.defined() && f.defined() ? Select::make(c, t, f) : Expr();
      }
      case NodeKind::kBroadcast: {
        Expr v = build(p.as<Broadcast>()->value, hint);
        return v.defined() ? Broadcast::make(v, b_.lanes) : Expr();
      }
      case NodeKind::kRamp: {
        const auto* r = p.as<Ramp>();
        Expr base = build(r->base, hint);
        Expr stride = base.defined() ? build(r->stride, base.type()) : Expr();
        return stride.defined() ? Ramp::make(base, stride, b_.lanes) : Expr();
      }
      default: return build_binary(p, hint);
    }
  }

 private:
  Expr build_binary(const Expr& p, Type hint) {
    Expr pa, pb;
    CINN_CHECK(binary_operands(p, &pa, &pb))
        << "rewrite rules cannot contain " << node_kind_name(p.kind());
    // A bare immediate takes its sibling's type.
    Expr a, b;
    if (is_raw_immediate(pa) && !is_raw_immediate(pb)) {
      b = build(pb, hint);
      a = b.defined() ? build(pa, b.type()) : Expr();
    } else {
      a = build(pa, hint);
      b = a.defined() ? build(pb, a.type()) : Expr();
    }
    if (!a.defined() || !b.defined()) return Expr();
    if (a.as<IntImm>() && b.as<IntImm>() && !a.type().is_bool()) {
      return fold_exact(p.kind(), a, b);
    }
    return make_binary(p.kind(), a, b);
  }

  const Bindings& b_;
};

}  // namespace

const Wildcards& wildcards() { return registry().w; }

Expr apply_rules(const RuleTable& rules, const Expr& e, Simplifier* s) {
  for (const Rule& r : rules) {
    Bindings b;
    if (!match(r.pattern, e, &b)) continue;
    Instantiator inst(b);
    if (r.condition.defined()) {
      Expr c = inst.build(r.condition, common::Bool());
      if (!c.defined() || as_const_bool(s->mutate(c)) != true) continue;
    }
    Expr out = inst.build(r.replacement, e.type());
    if (!out.defined()) continue;
    return s->mutate(out);
  }
  return Expr();
}

}  // namespace cinn::ir::simplify_detail
