#include "cinn/ir/visitor.h"

namespace cinn::ir {

void IRVisitor::visit(const Expr& e) {
  if (!e.defined()) return;
  switch (e.kind()) {
#define CINN_EXPR_NODE(Name) \
  case NodeKind::k##Name:    \
    return visit_##Name(static_cast<const Name*>(e.get()));
#include "cinn/ir/node_kinds.def"
    default: CINN_THROW(InternalError) << "visit(Expr) on a statement";
  }
}

void IRVisitor::visit(const Stmt& s) {
  if (!s.defined()) return;
  switch (s.kind()) {
#define CINN_STMT_NODE(Name) \
  case NodeKind::k##Name:    \
    return visit_##Name(static_cast<const Name*>(s.get()));
#include "cinn/ir/node_kinds.def"
    default: CINN_THROW(InternalError) << "visit(Stmt) on an expression";
  }
}

void IRVisitor::visit_ranges(const std::vector<Range>& rs) {
  for (const Range& r : rs) {
    visit(r.min);
    visit(r.extent);
  }
}

void IRVisitor::visit_IntImm(const IntImm*) {}
void IRVisitor::visit_UIntImm(const UIntImm*) {}
void IRVisitor::visit_FloatImm(const FloatImm*) {}
void IRVisitor::visit_StringImm(const StringImm*) {}
void IRVisitor::visit_Var(const Var*) {}
#define CINN_BINARY_VISIT(Name)                \
  void IRVisitor::visit_##Name(const Name* op) { \
    visit(op->a);                              \
    visit(op->b);                              \
  }
CINN_BINARY_VISIT(Add)
CINN_BINARY_VISIT(Sub)
CINN_BINARY_VISIT(Mul)
CINN_BINARY_VISIT(Div)
CINN_BINARY_VISIT(Mod)
CINN_BINARY_VISIT(Min)
CINN_BINARY_VISIT(Max)
CINN_BINARY_VISIT(EQ)
CINN_BINARY_VISIT(NE)
CINN_BINARY_VISIT(LT)
CINN_BINARY_VISIT(LE)
CINN_BINARY_VISIT(GT)
CINN_BINARY_VISIT(GE)
CINN_BINARY_VISIT(And)
CINN_BINARY_VISIT(Or)
#undef CINN_BINARY_VISIT
void IRVisitor::visit_Not(const Not* op) { visit(op->a); }
void IRVisitor::visit_Select(const Select* op) {
  visit(op->condition);
  visit(op->true_value);
  visit(op->false_value);
}
void IRVisitor::visit_Cast(const Cast* op) { visit(op->value); }
void IRVisitor::visit_Call(const Call* op) {
  for (const Expr& a : op->args) visit(a);
}
void IRVisitor::visit_Load(const Load* op) {
  for (const Expr& i : op->indices) visit(i);
}
void IRVisitor::visit_Ramp(const Ramp* op) {
  visit(op->base);
  visit(op->stride);
}
void IRVisitor::visit_Broadcast(const Broadcast* op) { visit(op->value); }
void IRVisitor::visit_Let(const Let* op) {
  visit(op->var);
  visit(op->value);
  visit(op->body);
}
void IRVisitor::visit_LetStmt(const LetStmt* op) {
  visit(op->var);
  visit(op->value);
  visit(op->body);
}
void IRVisitor::visit_For(const For* op) {
  visit(op->loop_var);
  visit(op->min);
  visit(op->extent);
  visit(op->body);
}
void IRVisitor::visit_IfThenElse(const IfThenElse* op) {
  visit(op->condition);
  visit(op->then_case);
  visit(op->else_case);
}
void IRVisitor::visit_Block(const Block* op) {
  for (const Stmt& s : op->stmts) visit(s);
}
void IRVisitor::visit_Store(const Store* op) {
  visit(op->value);
  for (const Expr& i : op->indices) visit(i);
}
void IRVisitor::visit_Allocate(const Allocate*) {}
void IRVisitor::visit_Free(const Free*) {}
void IRVisitor::visit_Evaluate(const Evaluate* op) { visit(op->value); }
void IRVisitor::visit_ScheduleBlock(const ScheduleBlock* op) {
  for (const IterVar& iv : op->iter_vars) {
    visit(iv.var);
    visit(iv.range.min);
    visit(iv.range.extent);
  }
  for (const auto& r : op->reads) visit_ranges(r.region);
  for (const auto& r : op->writes) visit_ranges(r.region);
  visit(op->init);
  visit(op->body);
}
void IRVisitor::visit_ScheduleBlockRealize(const ScheduleBlockRealize* op) {
  for (const Expr& v : op->iter_values) visit(v);
  visit(op->block);
}

// ---------------------------------------------------------------------------------------

Expr IRMutator::mutate(const Expr& e) {
  if (!e.defined()) return e;
  switch (e.kind()) {
#define CINN_EXPR_NODE(Name) \
  case NodeKind::k##Name:    \
    return mutate_##Name(static_cast<const Name*>(e.get()));
#include "cinn/ir/node_kinds.def"
    default: CINN_THROW(InternalError) << "mutate(Expr) on a statement";
  }
}

Stmt IRMutator::mutate(const Stmt& s) {
  if (!s.defined()) return s;
  switch (s.kind()) {
#define CINN_STMT_NODE(Name) \
  case NodeKind::k##Name:    \
    return mutate_##Name(static_cast<const Name*>(s.get()));
#include "cinn/ir/node_kinds.def"
    default: CINN_THROW(InternalError) << "mutate(Stmt) on an expression";
  }
}

std::vector<Expr> IRMutator::mutate_exprs(const std::vector<Expr>& es, bool* changed) {
  std::vector<Expr> out;
  out.reserve(es.size());
  for (const Expr& e : es) {
    out.push_back(mutate(e));
    if (!out.back().same_as(e)) *changed = true;
  }
  return out;
}

std::vector<Range> IRMutator::mutate_ranges(const std::vector<Range>& rs, bool* changed) {
  std::vector<Range> out;
  out.reserve(rs.size());
  for (const Range& r : rs) {
    Range n{mutate(r.min), mutate(r.extent)};
    if (!n.min.same_as(r.min) || !n.extent.same_as(r.extent)) *changed = true;
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<BufferRegion> IRMutator::mutate_regions(const std::vector<BufferRegion>& rs,
                                                    bool* changed) {
  std::vector<BufferRegion> out;
  out.reserve(rs.size());
  for (const BufferRegion& r : rs) out.push_back({r.buffer, mutate_ranges(r.region, changed)});
  return out;
}

Expr IRMutator::mutate_IntImm(const IntImm* op) { return op; }
Expr IRMutator::mutate_UIntImm(const UIntImm* op) { return op; }
Expr IRMutator::mutate_FloatImm(const FloatImm* op) { return op; }
Expr IRMutator::mutate_StringImm(const StringImm* op) { return op; }
Expr IRMutator::mutate_Var(const Var* op) { return op; }
#define CINN_BINARY_MUTATE(Name)                             \
  Expr IRMutator::mutate_##Name(const Name* op) {            \
    Expr a = mutate(op->a), b = mutate(op->b);               \
    if (a.same_as(op->a) && b.same_as(op->b)) return op;     \
    return Name::make(std::move(a), std::move(b));           \
  }
CINN_BINARY_MUTATE(Add)
CINN_BINARY_MUTATE(Sub)
CINN_BINARY_MUTATE(Mul)
CINN_BINARY_MUTATE(Div)
CINN_BINARY_MUTATE(Mod)
CINN_BINARY_MUTATE(Min)
CINN_BINARY_MUTATE(Max)
CINN_BINARY_MUTATE(EQ)
CINN_BINARY_MUTATE(NE)
CINN_BINARY_MUTATE(LT)
CINN_BINARY_MUTATE(LE)
CINN_BINARY_MUTATE(GT)
CINN_BINARY_MUTATE(GE)
CINN_BINARY_MUTATE(And)
CINN_BINARY_MUTATE(Or)
#undef CINN_BINARY_MUTATE

Expr IRMutator::mutate_Not(const Not* op) {
  Expr a = mutate(op->a);
  if (a.same_as(op->a)) return op;
  return Not::make(std::move(a));
}
Expr IRMutator::mutate_Select(const Select* op) {
  Expr c = mutate(op->condition), t = mutate(op->true_value), f = mutate(op->false_value);
  if (c.same_as(op->condition) && t.same_as(op->true_value) && f.same_as(op->false_value)) {
    return op;
  }
  return Select::make(std::move(c), std::move(t), std::move(f));
}
Expr IRMutator::mutate_Cast(const Cast* op) {
  Expr v = mutate(op->value);
  if (v.same_as(op->value)) return op;
  return Cast::make(op->type, std::move(v));
}
Expr IRMutator::mutate_Call(const Call* op) {
  bool changed = false;
  auto args = mutate_exprs(op->args, &changed);
  if (!changed) return op;
  return Call::make(op->type, op->name, std::move(args), op->call_kind);
}
Expr IRMutator::mutate_Load(const Load* op) {
  bool changed = false;
  auto idx = mutate_exprs(op->indices, &changed);
  if (!changed) return op;
  return Load::make(op->buffer, std::move(idx));
}
Expr IRMutator::mutate_Ramp(const Ramp* op) {
  Expr b = mutate(op->base), s = mutate(op->stride);
  if (b.same_as(op->base) && s.same_as(op->stride)) return op;
  return Ramp::make(std::move(b), std::move(s), op->lanes);
}
Expr IRMutator::mutate_Broadcast(const Broadcast* op) {
  Expr v = mutate(op->value);
  if (v.same_as(op->value)) return op;
  return Broadcast::make(std::move(v), op->lanes);
}
Expr IRMutator::mutate_Let(const Let* op) {
  Expr v = mutate(op->value), b = mutate(op->body);
  if (v.same_as(op->value) && b.same_as(op->body)) return op;
  return Let::make(op->var, std::move(v), std::move(b));
}
Stmt IRMutator::mutate_LetStmt(const LetStmt* op) {
  Expr v = mutate(op->value);
  Stmt b = mutate(op->body);
  if (v.same_as(op->value) && b.same_as(op->body)) return op;
  return LetStmt::make(op->var, std::move(v), std::move(b));
}
Stmt IRMutator::mutate_For(const For* op) {
  Expr mn = mutate(op->min), ext = mutate(op->extent);
  Stmt b = mutate(op->body);
  if (mn.same_as(op->min) && ext.same_as(op->extent) && b.same_as(op->body)) return op;
  return For::make(op->loop_var, std::move(mn), std::move(ext), op->for_kind, std::move(b));
}
Stmt IRMutator::mutate_IfThenElse(const IfThenElse* op) {
  Expr c = mutate(op->condition);
  Stmt t = mutate(op->then_case), e = mutate(op->else_case);
  if (c.same_as(op->condition) && t.same_as(op->then_case) && e.same_as(op->else_case)) {
    return op;
  }
  return IfThenElse::make(std::move(c), std::move(t), std::move(e));
}
Stmt IRMutator::mutate_Block(const Block* op) {
  bool changed = false;
  std::vector<Stmt> stmts;
  stmts.reserve(op->stmts.size());
  for (const Stmt& s : op->stmts) {
    stmts.push_back(mutate(s));
    if (!stmts.back().same_as(s)) changed = true;
  }
  if (!changed) return op;
  return Block::make(std::move(stmts));
}
Stmt IRMutator::mutate_Store(const Store* op) {
  bool changed = false;
  Expr v = mutate(op->value);
  auto idx = mutate_exprs(op->indices, &changed);
  if (!changed && v.same_as(op->value)) return op;
  return Store::make(op->buffer, std::move(v), std::move(idx));
}
Stmt IRMutator::mutate_Allocate(const Allocate* op) { return op; }
Stmt IRMutator::mutate_Free(const Free* op) { return op; }
Stmt IRMutator::mutate_Evaluate(const Evaluate* op) {
  Expr v = mutate(op->value);
  if (v.same_as(op->value)) return op;
  return Evaluate::make(std::move(v));
}
Stmt IRMutator::mutate_ScheduleBlock(const ScheduleBlock* op) {
  bool changed = false;
  std::vector<IterVar> ivs;
  for (const IterVar& iv : op->iter_vars) {
    Range r{mutate(iv.range.min), mutate(iv.range.extent)};
    if (!r.min.same_as(iv.range.min) || !r.extent.same_as(iv.range.extent)) changed = true;
    ivs.push_back({iv.var, r, iv.kind});
  }
  auto reads = mutate_regions(op->reads, &changed);
  auto writes = mutate_regions(op->writes, &changed);
  Stmt init = mutate(op->init), body = mutate(op->body);
  if (!changed && init.same_as(op->init) && body.same_as(op->body)) return op;
  return ScheduleBlock::make(op->name, std::move(ivs), std::move(reads), std::move(writes),
                             std::move(init), std::move(body), op->annotations);
}
Stmt IRMutator::mutate_ScheduleBlockRealize(const ScheduleBlockRealize* op) {
  bool changed = false;
  auto vals = mutate_exprs(op->iter_values, &changed);
  Stmt b = mutate(op->block);
  if (!changed && b.same_as(op->block)) return op;
  return ScheduleBlockRealize::make(std::move(vals), std::move(b));
}

// ---------------------------------------------------------------------------------------

namespace {
class FnVisitor : public IRVisitor {
 public:
  explicit FnVisitor(const std::function<void(const IRNode*)>& f) : f_(f) {}
#define CINN_EXPR_NODE(Name)                    \
  void visit_##Name(const Name* op) override {  \
    IRVisitor::visit_##Name(op);                \
    f_(op);                                     \
  }
#define CINN_STMT_NODE(Name) CINN_EXPR_NODE(Name)
#include "cinn/ir/node_kinds.def"

 private:
  const std::function<void(const IRNode*)>& f_;
};
}  // namespace

void post_order_visit(const Stmt& s, const std::function<void(const IRNode*)>& f) {
  FnVisitor v(f);
  v.visit(s);
}
void post_order_visit(const Expr& e, const std::function<void(const IRNode*)>& f) {
  FnVisitor v(f);
  v.visit(e);
}

}  // namespace cinn::ir
