#include "cinn/lang/reduce.h"

#include <cmath>
#include <limits>
#include <mutex>
#include <set>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"

namespace cinn::lang {

using namespace ir;  // NOLINT

namespace {
std::mutex g_mu;
// Reduce-axis variables, kept alive so their identity is stable.
std::set<const Var*>& reduce_vars() {
  static auto* s = new std::set<const Var*>;
  return *s;
}
std::vector<Expr>& reduce_var_refs() {
  static auto* v = new std::vector<Expr>;
  return *v;
}
const char* kPrefix = "cinn.reduce.";
}  // namespace

ReduceAxis reduce_axis(Expr extent, const std::string& name) {
  return reduce_axis(Expr(0), std::move(extent), name);
}

ReduceAxis reduce_axis(Expr min, Expr extent, const std::string& name) {
  for (const Expr* e : {&min, &extent}) {
    if (!e->defined() || !e->type().is_integer() || !e->type().is_scalar()) {
      CINN_THROW(ShapeError) << "reduce_axis '" << name << "': bounds must be integers";
    }
  }
  if (const int64_t* c = as_const_int(extent); c && *c <= 0) {
    CINN_THROW(ShapeError) << "reduce_axis '" << name << "': extent must be positive, got "
                           << *c;
  }
  Expr v = Var::make(name, common::IndexType());
  {
    std::lock_guard<std::mutex> lk(g_mu);
    reduce_vars().insert(v.as<Var>());
    reduce_var_refs().push_back(v);
  }
  return {v, cast(common::IndexType(), min), cast(common::IndexType(), extent)};
}

bool is_reduce_axis_var(const Var* v) {
  std::lock_guard<std::mutex> lk(g_mu);
  return reduce_vars().count(v) > 0;
}

const char* reduce_kind_name(ReduceKind k) {
  switch (k) {
    case ReduceKind::kSum: return "sum";
    case ReduceKind::kMax: return "max";
    case ReduceKind::kMin: return "min";
    case ReduceKind::kProd: return "prod";
  }
  return "?";
}

Expr reduce(ReduceKind kind, Expr source, const std::vector<ReduceAxis>& axes, Expr where) {
  if (!source.defined()) CINN_THROW(Error) << reduce_kind_name(kind) << ": empty source";
  if (axes.empty()) {
    CINN_THROW(Error) << reduce_kind_name(kind) << "(" << source << "): needs at least one "
                      << "reduce axis";
  }
  if (source.type().is_bool()) {
    CINN_THROW(DTypeError) << reduce_kind_name(kind) << "(" << source
                           << "): cannot reduce bool values; cast them first";
  }
  if (where.defined() && !where.type().is_bool()) {
    CINN_THROW(DTypeError) << reduce_kind_name(kind) << ": where clause must be bool, got "
                           << where.type();
  }
  std::vector<Expr> args = {source, where.defined() ? where : IntImm::make(common::Bool(), 1)};
  for (const ReduceAxis& a : axes) {
    if (!a.var.as<Var>() || !is_reduce_axis_var(a.var.as<Var>())) {
      CINN_THROW(Error) << reduce_kind_name(kind) << ": axis is not a reduce_axis";
    }
    args.push_back(a.var);
    args.push_back(a.min);
    args.push_back(a.extent);
  }
  return Call::make(source.type(), std::string(kPrefix) + reduce_kind_name(kind),
                    std::move(args), Call::Kind::kIntrinsic);
}

ReduceInfo as_reduce(const Expr& e) {
  ReduceInfo info;
  const Call* c = e.as<Call>();
  if (!c || c->name.rfind(kPrefix, 0) != 0) return info;
  std::string k = c->name.substr(std::string(kPrefix).size());
  for (ReduceKind rk : {ReduceKind::kSum, ReduceKind::kMax, ReduceKind::kMin, ReduceKind::kProd}) {
    if (k == reduce_kind_name(rk)) info.kind = rk;
  }
  info.ok = true;
  info.source = c->args[0];
  info.where = c->args[1];
  for (size_t i = 2; i + 2 < c->args.size(); i += 3) {
    info.axes.push_back({c->args[i], c->args[i + 1], c->args[i + 2]});
  }
  return info;
}

Expr reduce_identity(ReduceKind kind, Type t) {
  switch (kind) {
    case ReduceKind::kSum: return make_zero(t);
    case ReduceKind::kProd: return make_one(t);
    case ReduceKind::kMax:
    case ReduceKind::kMin: {
      bool is_max = kind == ReduceKind::kMax;
      if (t.is_float()) {
        double inf = std::numeric_limits<double>::infinity();
        return make_const(t, is_max ? -inf : inf);
      }
      if (t.is_uint()) {
        uint64_t hi = t.bits() == 64 ? ~0ULL : ((1ULL << t.bits()) - 1);
        return UIntImm::make(t, is_max ? 0 : hi);
      }
      int64_t hi = t.bits() == 64 ? std::numeric_limits<int64_t>::max()
                                  : ((int64_t{1} << (t.bits() - 1)) - 1);
      return IntImm::make(t, is_max ? -hi - 1 : hi);
    }
  }
  return Expr();
}

Expr reduce_combine(ReduceKind kind, Expr acc, Expr x) {
  switch (kind) {
    case ReduceKind::kSum: return acc + x;
    case ReduceKind::kProd: return acc * x;
    case ReduceKind::kMax: return ir::max(acc, x);
    case ReduceKind::kMin: return ir::min(acc, x);
  }
  return Expr();
}

}  // namespace cinn::lang
