#include <map>
#include <set>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

std::set<const Var*> vars_in(const std::vector<Expr>& es) {
  std::set<const Var*> out;
  for (const Expr& e : es) {
    post_order_visit(e, [&](const IRNode* n) {
      if (n->kind() == NodeKind::kVar) out.insert(static_cast<const Var*>(n));
    });
  }
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
class InitPlacer : public IRVisitor {
 public:
  std::map<const For*, std::vector<Stmt>> hoisted;   // init placed before this loop
  std::set<const ScheduleBlockRealize*> inline_init;  // init placed right before the body
  std::set<const ScheduleBlockRealize*> guarded;      // init under a guard

 protected:
  void visit_For(const For* op) override {
    stack_.push_back(op);
    IRVisitor::visit_For(op);
    stack_.pop_back();
  }
  void visit_ScheduleBlockRealize(const ScheduleBlockRealize* op) override {
    const auto* b = op->block.as<ScheduleBlock>();
    if (!b->init.defined()) return IRVisitor::visit_ScheduleBlockRealize(op);
    std::vector<Expr> spatial, reduce;
    for (size_t i = 0; i < b->iter_vars.size(); ++i) {
      (b->iter_vars[i].is_reduce() ? reduce : spatial).push_back(op->iter_values[i]);
    }
    std::set<const Var*> s = vars_in(spatial), r = vars_in(reduce);
    // The innermost run of loops that no spatial value depends on.
    int p = static_cast<int>(stack_.size());
    while (p > 0 && !s.count(stack_[p - 1]->loop_var.as<Var>())) --p;
    std::set<const Var*> suffix;
    for (size_t q = p; q < stack_.size(); ++q) suffix.insert(stack_[q]->loop_var.as<Var>());
    bool all_reduce_inside = true;
    for (const Var* v : r) {
      bool is_loop = false;
      for (const For* f : stack_) is_loop |= f->loop_var.as<Var>() == v;
      if (is_loop && !suffix.count(v)) all_reduce_inside = false;
    }
    // Skip loops in the suffix that no reduce value uses, from the outside in.
    while (p < static_cast<int>(stack_.size()) && !r.count(stack_[p]->loop_var.as<Var>())) ++p;
    Stmt init = substitute(b->init, bindings(op));
    if (!all_reduce_inside) {
      guarded.insert(op);
    } else if (p == static_cast<int>(stack_.size())) {
      inline_init.insert(op);
    } else {
      hoisted[stack_[p]].push_back(init);
    }
    IRVisitor::visit_ScheduleBlockRealize(op);
  }

 private:
  std::vector<const For*> stack_;
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
