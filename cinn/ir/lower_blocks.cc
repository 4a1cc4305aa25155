#include <map>
#include <set>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

std::set<const Var*> vars_in(const std::vector<Expr>& es) {
  std::set<const Var*> out;
  for (const Expr& e : es) collect_vars(e, &out);
  return out;
}

VarMap bindings(const ScheduleBlockRealize* r) {
  const auto* b = r->block.as<ScheduleBlock>();
  VarMap m;
  for (size_t i = 0; i < b->iter_vars.size(); ++i) {
    m[b->iter_vars[i].var.as<Var>()] = r->iter_values[i];
  }
  return m;
}

// Pass 1: decides where each block's init goes.
//
// The init is placed right before L, the outermost loop whose variable feeds a reduce
// iter_value, wrapped in copies of the loops and guards between L and the block that
// only involve spatial values (so it initializes exactly the outputs that L's nest
// updates). Loops outside L may not feed reduce values by construction. A guard between L
// and the block that involves reduce values (a split tail `k_0 * 4 + k_1 < 13 - i`, an
// rfactor'd slot that no k reaches) is left out of the copy: an output it keeps from every
// update is still one of the block's and must hold the identity, so the copy is guarded by
// the spatial values lying in the block's domain instead. When a loop between L and the
// block mixes reduce and spatial variables (a loop bound, or a fused loop feeding both), the
// init falls back to a guard on "every reduce value at its minimum", which is correct for
// rectangular reductions.
class InitPlacer : public IRVisitor {
 public:
  std::map<const For*, std::vector<Stmt>> hoisted;   // init placed before this loop
  std::set<const ScheduleBlockRealize*> inline_init;  // init placed right before the body
  std::set<const ScheduleBlockRealize*> guarded;      // init under a guard

 protected:
  void visit_For(const For* op) override {
    path_.push_back(op);
    IRVisitor::visit_For(op);
    path_.pop_back();
  }
  void visit_IfThenElse(const IfThenElse* op) override {
    visit(op->condition);
    path_.push_back(op);
    visit(op->then_case);
    path_.pop_back();
    visit(op->else_case);
  }
  void visit_ScheduleBlockRealize(const ScheduleBlockRealize* op) override {
    const auto* b = op->block.as<ScheduleBlock>();
    if (!b->init.defined()) return IRVisitor::visit_ScheduleBlockRealize(op);
    std::vector<Expr> spatial;
    for (size_t i = 0; i < b->iter_vars.size(); ++i) {
      if (!b->iter_vars[i].is_reduce()) spatial.push_back(op->iter_values[i]);
    }
    std::set<const Var*> s = vars_in(spatial), r = sched::reduction_vars(op);
    size_t top = path_.size();
    for (size_t p = 0; p < path_.size(); ++p) {
      if (path_[p]->kind() == NodeKind::kFor &&
          r.count(static_cast<const For*>(path_[p])->loop_var.as<Var>())) {
        top = p;
        break;
      }
    }
    Stmt init = substitute(b->init, bindings(op));
    if (top == path_.size()) {
      inline_init.insert(op);
    } else if (Stmt wrapped = wrap_init(init, top, r, s, spatial_domain(op));
               wrapped.defined()) {
      hoisted[static_cast<const For*>(path_[top])].push_back(wrapped);
    } else {
      guarded.insert(op);
    }
    IRVisitor::visit_ScheduleBlockRealize(op);
  }

 private:
  // The init inside copies of the spatial loops and guards below path_[top]; undefined if
  // a reduce variable is mixed into one of them.
  Stmt wrap_init(Stmt init, size_t top, const std::set<const Var*>& r,
                 const std::set<const Var*>& s, const Expr& in_domain) {
    VarMap fresh;
    std::vector<const IRNode*> keep;
    std::vector<Expr> reduce_vars;
    for (const Var* v : r) reduce_vars.push_back(Expr(v));
    bool dropped_guard = false;
    for (size_t p = top; p < path_.size(); ++p) {
      if (path_[p]->kind() == NodeKind::kFor) {
        const auto* f = static_cast<const For*>(path_[p]);
        const Var* v = f->loop_var.as<Var>();
        bool in_r = r.count(v), in_s = s.count(v);
        if (in_r && in_s) return Stmt();
        if (in_s) {
          keep.push_back(f);
          fresh[v] = Var::make(v->name, v->type);
        }
      } else if (uses_any_var(static_cast<const IfThenElse*>(path_[p])->condition,
                              reduce_vars)) {
        dropped_guard = true;
      } else {
        keep.push_back(path_[p]);
      }
    }
    if (dropped_guard && in_domain.defined()) init = IfThenElse::make(in_domain, init);
    for (size_t k = keep.size(); k-- > 0;) {
      if (keep[k]->kind() == NodeKind::kFor) {
        const auto* f = static_cast<const For*>(keep[k]);
        if (uses_any_var(f->min, reduce_vars) || uses_any_var(f->extent, reduce_vars)) {
          return Stmt();
        }
        init = For::make(fresh[f->loop_var.as<Var>()], substitute(f->min, fresh),
                         substitute(f->extent, fresh), f->for_kind, substitute(init, fresh));
      } else {
        const auto* c = static_cast<const IfThenElse*>(keep[k]);
        init = IfThenElse::make(substitute(c->condition, fresh), init);
      }
    }
    // Loop variables of kept loops still appear free in the init; map them to the copies.
    return substitute(init, fresh);
  }

  // "Every spatial value lies in its iter_var's range" for the block realized by `r`.
  static Expr spatial_domain(const ScheduleBlockRealize* r) {
    const auto* b = r->block.as<ScheduleBlock>();
    VarMap m = bindings(r);
    Expr cond;
    for (size_t i = 0; i < b->iter_vars.size(); ++i) {
      if (b->iter_vars[i].is_reduce()) continue;
      Expr lo = substitute(b->iter_vars[i].range.min, m);
      Expr v = r->iter_values[i];
      Expr c = lo <= v && v < lo + substitute(b->iter_vars[i].range.extent, m);
      cond = cond.defined() ? (cond && c) : c;
    }
    return cond;
  }

  std::vector<const IRNode*> path_;
};

class BlockLowerer : public IRMutator {
 public:
  explicit BlockLowerer(const InitPlacer& p) : p_(p) {}

 protected:
  Stmt mutate_For(const For* op) override {
    Stmt s = IRMutator::mutate_For(op);
    auto it = p_.hoisted.find(op);
    if (it == p_.hoisted.end()) return s;
    std::vector<Stmt> stmts = it->second;
    stmts.push_back(s);
    return Block::make(std::move(stmts));
  }
  Stmt mutate_ScheduleBlockRealize(const ScheduleBlockRealize* op) override {
    const auto* b = op->block.as<ScheduleBlock>();
    VarMap m = bindings(op);
    Stmt body = mutate(substitute(b->body, m));
    if (!b->init.defined()) return body;
    Stmt init = substitute(b->init, m);
    if (p_.inline_init.count(op)) return Block::make({init, body});
    if (p_.guarded.count(op)) {
      Expr cond;
      for (size_t i = 0; i < b->iter_vars.size(); ++i) {
        if (!b->iter_vars[i].is_reduce()) continue;
        Expr c = op->iter_values[i] == substitute(b->iter_vars[i].range.min, m);
        cond = cond.defined() ? (cond && c) : c;
      }
      return Block::make({IfThenElse::make(cond, init), body});
    }
    return body;
  }

 private:
  const InitPlacer& p_;
};

}  // namespace

Stmt lower_schedule_blocks(const Stmt& s) {
  InitPlacer placer;
  placer.visit(s);
  return BlockLowerer(placer).mutate(s);
}

}  // namespace cinn::ir
