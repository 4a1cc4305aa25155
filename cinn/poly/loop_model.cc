#include "cinn/poly/loop_model.h"

#include <algorithm>
#include <optional>
#include <set>

#include "cinn/ir/printer.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/visitor.h"

namespace cinn::poly {

using namespace ir;  // NOLINT

namespace {

using Known = std::set<const Var*>;
// isl text of a constraint; nullopt stands for "true" (nothing known).
using Cond = std::optional<std::string>;

Cond conj(const Cond& a, const Cond& b) {
  if (!a) return b;
  if (!b) return a;
  return "(" + *a + " and " + *b + ")";
}

Cond disj(const Cond& a, const Cond& b) {
  if (!a || !b) return std::nullopt;
  return "(" + *a + " or " + *b + ")";
}

// Where the walk is: the loops, guards, sequence positions and lets around a statement.
struct Context {
  std::vector<const For*> loops;
  std::vector<std::pair<Expr, bool>> guards;  // condition, taken in the else branch
  std::vector<std::string> time;              // "l<loop index>" or a constant
  VarMap lets;
};

// Loads and Stores of a block's init or body, with Let values substituted into the indices.
class AccessCollector : public IRVisitor {
 public:
  struct Found {
    Buffer buffer;
    std::vector<Expr> indices;
    bool is_write;
  };
  std::vector<Found> found;

 protected:
  void visit_Load(const Load* op) override {
    found.push_back({op->buffer, resolve(op->indices), false});
    IRVisitor::visit_Load(op);
  }
  void visit_Store(const Store* op) override {
    found.push_back({op->buffer, resolve(op->indices), true});
    IRVisitor::visit_Store(op);
  }
  void visit_Let(const Let* op) override {
    visit(op->value);
    bind(op->var, op->value, [&] { visit(op->body); });
  }
  void visit_LetStmt(const LetStmt* op) override {
    visit(op->value);
    bind(op->var, op->value, [&] { visit(op->body); });
  }

 private:
  template <typename F>
  void bind(const Expr& var, const Expr& value, F body) {
    const Var* v = var.as<Var>();
    auto saved = lets_.find(v) == lets_.end() ? std::nullopt : std::optional<Expr>(lets_[v]);
    lets_[v] = substitute(value, lets_);
    body();
    if (saved) {
      lets_[v] = *saved;
    } else {
      lets_.erase(v);
    }
  }
  std::vector<Expr> resolve(const std::vector<Expr>& es) const {
    std::vector<Expr> out;
    for (const Expr& e : es) out.push_back(lets_.empty() ? e : substitute(e, lets_));
    return out;
  }
  VarMap lets_;
};

class ModelBuilder {
 public:
  ModelBuilder(const LoweredFunc& f, IslNamer* namer, std::map<const BufferNode*, int>* buffer_ids)
      : namer_(namer), buffer_ids_(buffer_ids) {
    for (const Expr& v : f.size_vars()) params_.insert(v.as<Var>());
  }

  FuncModel build(const Stmt& body) {
    walk(body, Context{});
    return std::move(model_);
  }

 private:
  void walk(const Stmt& s, Context ctx) {
    if (!s.defined()) return;
    if (const auto* op = s.as<For>()) {
      ctx.time.push_back("l" + std::to_string(ctx.loops.size()));
      ctx.loops.push_back(op);
      walk(op->body, std::move(ctx));
    } else if (const auto* op = s.as<Block>()) {
      for (size_t k = 0; k < op->stmts.size(); ++k) {
        Context c = ctx;
        c.time.push_back(std::to_string(k));
        walk(op->stmts[k], std::move(c));
      }
    } else if (const auto* op = s.as<IfThenElse>()) {
      Context then_ctx = ctx;
      then_ctx.time.push_back("0");
      then_ctx.guards.emplace_back(op->condition, false);
      walk(op->then_case, std::move(then_ctx));
      ctx.time.push_back("1");
      ctx.guards.emplace_back(op->condition, true);
      walk(op->else_case, std::move(ctx));
    } else if (const auto* op = s.as<LetStmt>()) {
      ctx.lets[op->var.as<Var>()] = substitute(op->value, ctx.lets);
      walk(op->body, std::move(ctx));
    } else if (const auto* op = s.as<ScheduleBlockRealize>()) {
      add_statement(op, ctx);
    }
    // Stores, Evaluates, Allocates and Frees outside blocks are not modelled.
  }

  // Whether every variable of `e` is one isl knows: an index of the statement or a size.
  bool known(const Expr& e, const Known& vars) const {
    bool ok = true;
    post_order_visit(e, [&](const IRNode* n) {
      if (n->kind() != NodeKind::kVar) return;
      const auto* v = static_cast<const Var*>(n);
      if (!vars.count(v) && !params_.count(v)) ok = false;
    });
    return ok;
  }

  // isl text of an affine integer expression, or nullopt.
  std::optional<std::string> affine(const Expr& e, const Known& vars) {
    if (!e.defined() || !known(e, vars)) return std::nullopt;
    try {
      return namer_->text(e);
    } catch (const NotAffine&) {
      return std::nullopt;
    }
  }

  // An over-approximation of `c` (negated if `negate`).
  Cond guard(const Expr& c, bool negate, const Known& vars) {
    if (const auto* op = c.as<And>()) {
      Cond a = guard(op->a, negate, vars), b = guard(op->b, negate, vars);
      return negate ? disj(a, b) : conj(a, b);
    }
    if (const auto* op = c.as<Or>()) {
      Cond a = guard(op->a, negate, vars), b = guard(op->b, negate, vars);
      return negate ? conj(a, b) : disj(a, b);
    }
    if (const auto* op = c.as<Not>()) return guard(op->a, !negate, vars);
    if (const auto* op = c.as<IntImm>()) {
      return (op->value != 0) != negate ? Cond() : Cond("(1 = 0)");
    }
    auto cmp = [&](const Expr& a, const Expr& b, const char* op, const char* neg) -> Cond {
      auto ta = affine(a, vars), tb = affine(b, vars);
      if (!ta || !tb) return std::nullopt;
      std::string o = negate ? neg : op;
      if (o == "!=") return "(" + *ta + " < " + *tb + " or " + *ta + " > " + *tb + ")";
      return "(" + *ta + " " + o + " " + *tb + ")";
    };
    if (const auto* op = c.as<EQ>()) return cmp(op->a, op->b, "=", "!=");
    if (const auto* op = c.as<NE>()) return cmp(op->a, op->b, "!=", "=");
    if (const auto* op = c.as<LT>()) return cmp(op->a, op->b, "<", ">=");
    if (const auto* op = c.as<LE>()) return cmp(op->a, op->b, "<=", ">");
    if (const auto* op = c.as<GT>()) return cmp(op->a, op->b, ">", "<=");
    if (const auto* op = c.as<GE>()) return cmp(op->a, op->b, ">=", "<");
    return std::nullopt;
  }

  void add_statement(const ScheduleBlockRealize* realize, const Context& ctx) {
    const auto* block = realize->block.as<ScheduleBlock>();
    StmtModel s;
    s.block = block;
    s.id = "S" + std::to_string(model_.stmts.size());
    Known vars;
    for (size_t d = 0; d < ctx.loops.size(); ++d) {
      s.loops.push_back(ctx.loops[d]->loop_var);
      vars.insert(ctx.loops[d]->loop_var.as<Var>());
      namer_->add_iter(ctx.loops[d]->loop_var, "l" + std::to_string(d));
    }
    for (size_t d = 0; d < block->iter_vars.size(); ++d) {
      const IterVar& iv = block->iter_vars[d];
      vars.insert(iv.var.as<Var>());
      namer_->add_iter(iv.var, "v" + std::to_string(d));
      s.is_reduction |= iv.is_reduce();
    }
    s.tuple = s.renamed_tuple("");

    Cond cons;
    auto add = [&](const Cond& c) { cons = conj(cons, c); };
    auto in_range = [&](const std::string& x, const Expr& min, const Expr& extent) {
      auto lo = affine(substitute(min, ctx.lets), vars);
      auto ext = affine(substitute(extent, ctx.lets), vars);
      if (lo) add(*lo + " <= " + x);
      if (lo && ext) add(x + " < " + *lo + " + " + *ext);
    };
    for (size_t d = 0; d < ctx.loops.size(); ++d) {
      in_range("l" + std::to_string(d), ctx.loops[d]->min, ctx.loops[d]->extent);
    }
    for (const auto& [c, negated] : ctx.guards) add(guard(substitute(c, ctx.lets), negated, vars));
    VarMap& bindings = s.bindings;
    bindings = ctx.lets;
    Known iters;
    Cond iter_cons;
    for (size_t d = 0; d < block->iter_vars.size(); ++d) {
      const IterVar& iv = block->iter_vars[d];
      std::string v = "v" + std::to_string(d);
      Expr value = substitute(realize->iter_values[d], ctx.lets);
      bindings[iv.var.as<Var>()] = value;
      if (auto t = affine(value, vars)) add(v + " = " + *t);
      in_range(v, iv.range.min, iv.range.extent);
      iters.insert(iv.var.as<Var>());
      auto lo = affine(iv.range.min, {}), ext = affine(iv.range.extent, {});
      if (lo) iter_cons = conj(iter_cons, *lo + " <= " + v);
      if (lo && ext) iter_cons = conj(iter_cons, v + " < " + *lo + " + " + *ext);
    }
    s.domain = s.tuple + (cons ? " : " + *cons : "");

    s.time = ctx.time;

    // An init runs where every reduce iter_var is at its minimum.
    Cond at_init;
    for (size_t d = 0; d < block->iter_vars.size(); ++d) {
      const IterVar& iv = block->iter_vars[d];
      if (!iv.is_reduce()) continue;
      if (auto lo = affine(iv.range.min, vars)) {
        at_init = conj(at_init, "v" + std::to_string(d) + " = " + *lo);
      }
    }
    std::set<std::pair<std::string, bool>> seen;
    for (int part = 0; part < 2; ++part) {
      AccessCollector collector;
      collector.visit(part == 0 ? block->init : block->body);
      for (const auto& a : collector.found) {
        AccessModel m;
        m.buffer = a.buffer;
        m.is_write = a.is_write;
        auto [it, _] = buffer_ids_->emplace(a.buffer.get(), static_cast<int>(buffer_ids_->size()));
        Cond acons = part == 0 ? at_init : Cond();
        Cond icons = conj(acons, iter_cons);
        std::string out;
        for (size_t d = 0; d < a.indices.size(); ++d) {
          std::string o = "o" + std::to_string(d);
          out += (d ? ", " : "") + o;
          if (auto t = affine(a.indices[d], vars)) acons = conj(acons, o + " = " + *t);
          if (auto t = affine(a.indices[d], iters)) icons = conj(icons, o + " = " + *t);
        }
        m.indices = a.indices;
        std::string target = " -> B" + std::to_string(it->second) + "[" + out + "]";
        m.relation = s.tuple + target + (acons ? " : " + *acons : "");
        m.iter_relation = s.renamed_tuple("", true) + target + (icons ? " : " + *icons : "");
        if (!seen.insert({m.relation, m.is_write}).second) continue;
        s.accesses.push_back(std::move(m));
      }
    }
    model_.stmts.push_back(std::move(s));
  }

  IslNamer* namer_;
  std::map<const BufferNode*, int>* buffer_ids_;
  Known params_;
  FuncModel model_;
};

}  // namespace

std::string StmtModel::renamed_tuple(const std::string& prefix, bool iters_only) const {
  std::string t;
  if (!iters_only) {
    for (size_t d = 0; d < loops.size(); ++d)
      t += (d ? ", " : "") + prefix + "l" + std::to_string(d);
  }
  for (size_t d = 0; d < block->iter_vars.size(); ++d) {
    t += (t.empty() ? "" : ", ") + prefix + "v" + std::to_string(d);
  }
  return id + "[" + t + "]";
}

FuncModel build_model(const LoweredFunc& f, IslNamer* namer,
                      std::map<const BufferNode*, int>* buffer_ids) {
  return ModelBuilder(f, namer, buffer_ids).build(f.body());
}

std::string access_in_loops(const StmtModel& s, const AccessModel& a) {
  std::string t = a.buffer.name() + "[";
  for (size_t d = 0; d < a.indices.size(); ++d) {
    t += (d ? ", " : "") + to_string(simplify(substitute(a.indices[d], s.bindings)));
  }
  return t + "]";
}

std::string precedes_text(const StmtModel& a, const std::string& pa, const StmtModel& b,
                          const std::string& pb, bool or_equal) {
  // Both schedules follow the tree from the root: equal entries up to the first sequence
  // position where the statements part, loop entries naming the same loops. So a runs
  // first iff some shared loop is at an earlier iteration (the loops outside it equal), or
  // all shared loops are equal and a's position is the earlier one.
  std::string equal, out;
  auto add = [&](const std::string& c) { out += (out.empty() ? "" : " or ") + ("(" + c + ")"); };
  size_t n = std::max(a.time.size(), b.time.size());
  for (size_t k = 0; k < n; ++k) {
    const std::string& x = k < a.time.size() ? a.time[k] : "0";
    const std::string& y = k < b.time.size() ? b.time[k] : "0";
    if (x[0] == 'l' && y[0] == 'l') {
      std::string xa = pa + x, yb = pb + y;
      add(equal + (equal.empty() ? "" : " and ") + xa + " < " + yb);
      equal += (equal.empty() ? "" : " and ") + xa + " = " + yb;
      continue;
    }
    if (x == y) continue;
    if (x[0] != 'l' && y[0] != 'l' && std::stol(x) < std::stol(y)) {
      add(equal.empty() ? "0 = 0" : equal);
    }
    return out.empty() ? "(1 = 0)" : out;
  }
  if (or_equal) add(equal.empty() ? "0 = 0" : equal);
  return out.empty() ? "(1 = 0)" : out;
}

}  // namespace cinn::poly
