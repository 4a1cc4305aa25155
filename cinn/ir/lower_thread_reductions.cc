// Cross-thread reductions: a reduction whose reduce loop is bound to threadIdx.x.
#include <algorithm>

#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {

namespace sched {

ThreadReduction match_thread_reduction(const For* t, const char* primitive) {
  ThreadReduction r;
  std::vector<BlockSite> reduced = blocks_reduced_by(t->body, t->loop_var);
  if (reduced.empty()) return r;
  std::string loop = loop_desc(t);
  if (t->for_kind != ForKind::kGPUThreadX) {
    CINN_THROW(ScheduleError) << primitive << ": " << loop << " carries the reduction of block '"
                              << reduced[0].block->name << "'; a reduction can be bound to threadIdx.x only";
  }
  std::vector<BlockSite> blocks = all_blocks(t->body);
  if (blocks.size() != 1) {
    CINN_THROW(ScheduleError) << primitive << ": " << loop << " reduces block '" << reduced[0].block->name
                              << "' across threads, so it may hold no other block; it holds " << blocks.size();
  }
  const int64_t* extent = as_const_int(t->extent);
  if (!extent || *extent % 32 != 0) {
    CINN_THROW(ScheduleError) << primitive << ": " << loop << " reduces block '" << reduced[0].block->name
                              << "' across threads; its extent must be a constant multiple of the warp size (32)";
  }
  r.site = reduced[0];
  const ScheduleBlock* b = r.site.block;
  r.update = match_update(b, primitive);
  if (!gpu_block_reduce_supports(r.update.store->buffer.dtype())) {
    CINN_THROW(ScheduleError) << primitive << ": block '" << b->name << "' reduces "
                              << r.update.store->buffer.dtype()
                              << " values; a cross-thread reduction supports float32, float64, int32 and int64";
  }
  const auto* init = b->init.as<Store>();
  if (!init || !init->buffer.same_as(r.update.store->buffer)) {
    CINN_THROW(ScheduleError) << primitive << ": block '" << b->name
                              << "' has an init that is not one store of its output";
  }
  // Every value the threads combine belongs to one output: the spatial iter_values use
  // only loops outside t.
  std::vector<Expr> inner = {t->loop_var};
  for (const For* f : r.site.loops()) inner.push_back(f->loop_var);
  // The threads' result is the whole reduction: no loop outside t carries part of it
  // (each of its iterations would overwrite the result of the one before).
  for (const Var* v : reduction_vars(r.site.realize)) {
    if (!uses_any_var(Expr(v), inner)) {
      CINN_THROW(ScheduleError) << primitive << ": loop '" << v->name << "' outside " << loop
                                << " also reduces block '" << b->name
                                << "'; a cross-thread reduction needs every reduce loop inside "
                                << "the thread loop (reorder the thread loop outwards)";
    }
  }
  for (size_t i = 0; i < b->iter_vars.size(); ++i) {
    if (!b->iter_vars[i].is_reduce() && uses_any_var(r.site.realize->iter_values[i], inner)) {
      CINN_THROW(ScheduleError) << primitive << ": block '" << b->name << "' has spatial iter_var '"
                                << b->iter_vars[i].var << "' bound inside " << loop
                                << "; a cross-thread reduction combines the values of one output";
    }
  }
  return r;
}

}  // namespace sched

namespace {

class ThreadReductionLowerer : public IRMutator {
 protected:
  Stmt mutate_For(const For* op) override {
    if (op->for_kind != ForKind::kGPUThreadX) return IRMutator::mutate_For(op);
    sched::ThreadReduction r = sched::match_thread_reduction(op, "lower_thread_reductions");
    if (!r.site.block) return IRMutator::mutate_For(op);
    const ScheduleBlock* b = r.site.block;
    const sched::ReductionUpdate& u = r.update;
    VarMap values;
    for (size_t i = 0; i < b->iter_vars.size(); ++i) {
      values[b->iter_vars[i].var.as<Var>()] = r.site.realize->iter_values[i];
    }
    const Buffer& out = u.store->buffer;
    // Each thread's partial result lives in a register.
    Buffer acc = Buffer::make(out.name() + "_thread", out.dtype(), {Expr(int64_t{1})}, MemoryScope::kLocal);
    std::vector<Expr> zero = {Expr(int64_t{0})};
    Stmt partial = Store::make(acc, sched::combine(u.combiner, Load::make(acc, zero), substitute(u.value, values)), zero);
    if (u.guard.defined()) partial = IfThenElse::make(substitute(u.guard, values), partial);
    std::vector<Expr> out_index;
    for (const Expr& e : u.store->indices) out_index.push_back(substitute(e, values));
    Expr identity = substitute(b->init.as<Store>()->value, values);
    // Every thread stores the combined value: the same value, so the result is defined, and
    // each thread reads its own store when a later statement of the kernel loads it.
    Stmt body = sched::make_seq({
        Allocate::make(acc),
        Store::make(acc, identity, zero),
        sched::replace_stmt(op->body, r.site.realize, partial),
        Store::make(out, make_gpu_block_reduce(u.combiner, Load::make(acc, zero)), out_index),
        Free::make(acc),
    });
    return For::make(op->loop_var, op->min, op->extent, op->for_kind, body);
  }
};

}  // namespace

Stmt lower_thread_reductions(const Stmt& s) { return ThreadReductionLowerer().mutate(s); }

}  // namespace cinn::ir
