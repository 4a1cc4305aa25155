// rfactor and decompose_reduction.
#include <algorithm>
#include <set>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/schedule.h"
#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

using sched::ReductionUpdate;

bool is_accumulator(const Expr& e, const Store* st) {
  const auto* l = e.as<Load>();
  if (!l || !l->buffer.same_as(st->buffer) || l->indices.size() != st->indices.size()) {
    return false;
  }
  for (size_t i = 0; i < l->indices.size(); ++i) {
    if (!l->indices[i].same_as(st->indices[i])) return false;
  }
  return true;
}

template <typename T>
bool match_combiner(const Expr& v, const Store* st, ReductionUpdate* u) {
  const auto* n = v.as<T>();
  if (!n) return false;
  if (is_accumulator(n->a, st)) {
    u->value = n->b;
  } else if (is_accumulator(n->b, st)) {
    u->value = n->a;
  } else {
    return false;
  }
  u->combiner = T::kNodeKind;
  return true;
}

using sched::BlockSite;
using sched::loop_desc;

// A copy of the loops and guards of `site.path[from..]` that only feed the block's spatial
// iter_values, with fresh loop variables, around `inner`: the iteration space of "once per
// output point" of a reduction block under the same outer loops. Loops that feed reduce
// values are left out; a loop feeding both is an error. `values` receives the block's
// spatial iter_values in terms of the copied loops.
Stmt spatial_copy(const BlockSite& site, size_t from, const std::string& suffix,
                  const std::function<Stmt(const std::vector<Expr>& values)>& inner,
                  const char* p) {
  const ScheduleBlock* b = site.block;
  std::vector<Expr> spatial_vals, reduce_vals;
  for (size_t i = 0; i < b->iter_vars.size(); ++i) {
    (b->iter_vars[i].is_reduce() ? reduce_vals : spatial_vals)
        .push_back(site.realize->iter_values[i]);
  }
  auto feeds = [](const std::vector<Expr>& vals, const Expr& var) {
    return std::any_of(vals.begin(), vals.end(),
                       [&](const Expr& v) { return uses_any_var(v, {var}); });
  };
  for (size_t k = 0; k < from; ++k) {
    if (site.path[k]->kind() != NodeKind::kFor) continue;
    const auto* f = static_cast<const For*>(site.path[k]);
    if (feeds(reduce_vals, f->loop_var)) {
      CINN_THROW(ScheduleError) << p << ": " << loop_desc(f) << " feeds the reduction of "
                                << "block '" << b->name << "' but also encloses other "
                                << "statements";
    }
  }
  std::vector<Expr> reduce_loops;
  std::vector<Stmt> wrappers;  // outermost first, with placeholder bodies
  VarMap fresh;
  for (size_t k = from; k < site.path.size(); ++k) {
    if (site.path[k]->kind() == NodeKind::kFor) {
      const auto* f = static_cast<const For*>(site.path[k]);
      bool red = feeds(reduce_vals, f->loop_var), spat = feeds(spatial_vals, f->loop_var);
      if (red && spat) {
        CINN_THROW(ScheduleError) << p << ": " << loop_desc(f) << " feeds both spatial and "
                                  << "reduce iter_vars of block '" << b->name << "'";
      }
      if (red) {
        reduce_loops.push_back(f->loop_var);
        continue;
      }
      if (uses_any_var(f->min, reduce_loops) || uses_any_var(f->extent, reduce_loops)) {
        CINN_THROW(ScheduleError) << p << ": the bounds of " << loop_desc(f)
                                  << " depend on a reduction loop";
      }
      Expr v = Var::make(f->loop_var.var_name() + suffix);
      fresh[f->loop_var.as<Var>()] = v;
      ForKind kind = f->for_kind == ForKind::kVectorized || f->for_kind == ForKind::kUnrolled
                         ? f->for_kind
                         : ForKind::kSerial;
      wrappers.push_back(For::make(v, substitute(f->min, fresh), substitute(f->extent, fresh),
                                   kind, Block::make({})));
    } else {
      const auto* i = static_cast<const IfThenElse*>(site.path[k]);
      if (uses_any_var(i->condition, reduce_loops)) continue;  // a guard of the reduction
      wrappers.push_back(IfThenElse::make(substitute(i->condition, fresh), Block::make({})));
    }
  }
  std::vector<Expr> values;
  for (const Expr& v : spatial_vals) values.push_back(substitute(v, fresh));
  Stmt s = inner(values);
  for (size_t k = wrappers.size(); k-- > 0;) {
    if (const auto* f = wrappers[k].as<For>()) {
      s = For::make(f->loop_var, f->min, f->extent, f->for_kind, s);
    } else {
      s = IfThenElse::make(wrappers[k].as<IfThenElse>()->condition, s);
    }
  }
  return s;
}

}  // namespace

namespace sched {

ReductionUpdate match_update(const ScheduleBlock* b, const char* p) {
  ReductionUpdate u;
  Stmt s = b->body;
  if (const auto* i = s.as<IfThenElse>(); i && !i->else_case.defined()) {
    u.guard = i->condition;
    s = i->then_case;
  }
  u.store = s.as<Store>();
  if (!b->init.defined() || !u.store ||
      !(match_combiner<Add>(u.store->value, u.store, &u) ||
        match_combiner<Mul>(u.store->value, u.store, &u) ||
        match_combiner<Max>(u.store->value, u.store, &u) ||
        match_combiner<Min>(u.store->value, u.store, &u))) {
    CINN_THROW(ScheduleError) << p << ": block '" << b->name << "' is not a reduction of the "
                              << "form out[i] = out[i] (+|*|max|min) value with an init";
  }
  return u;
}

Expr combine(NodeKind k, Expr a, Expr b) {
  switch (k) {
    case NodeKind::kAdd: return Add::make(a, b);
    case NodeKind::kMul: return Mul::make(a, b);
    case NodeKind::kMax: return Max::make(a, b);
    default: return Min::make(a, b);
  }
}

}  // namespace sched

using sched::combine;
using sched::match_update;

BlockRV IRSchedule::rfactor(LoopRV loop, int factor_axis) {
  const char* kP = "rfactor";
  const For* l = lookup(loop, kP);
  // The one reduction block the loop feeds.
  std::vector<BlockSite> fed = sched::blocks_reduced_by(Stmt(l), l->loop_var);
  if (fed.size() != 1) {
    CINN_THROW(ScheduleError) << kP << ": " << loop_desc(l) << " must feed the reduce "
                              << "iter_vars of exactly one block; it feeds " << fed.size();
  }
  BlockSite site = sched::find_block(func_.body(), fed[0].block->name, kP);
  const ScheduleBlock* b = site.block;
  const ScheduleBlockRealize* r = site.realize;
  ReductionUpdate u = match_update(b, kP);
  const Buffer& out = u.store->buffer;
  auto loops = site.loops();
  std::vector<Expr> loop_vars;
  for (const For* f : loops) loop_vars.push_back(f->loop_var);
  if (uses_any_var(l->min, loop_vars) || uses_any_var(l->extent, loop_vars)) {
    CINN_THROW(ScheduleError) << kP << ": the bounds of " << loop_desc(l)
                              << " depend on other loops";
  }
  int ndim = out.ndim();
  if (factor_axis < 0) factor_axis += ndim + 1;
  if (factor_axis < 0 || factor_axis > ndim) {
    CINN_THROW(ScheduleError) << kP << ": factor_axis must be in [" << -(ndim + 1) << ", "
                              << ndim << "] for the " << ndim << "-d output '" << out.name()
                              << "'";
  }
  // The rf block: the original spatial iter_vars, the loop as a spatial iter_var, and one
  // reduce iter_var per other loop that feeds the reduction.
  std::vector<IterVar> ivs;
  std::vector<Expr> values;
  VarMap to_new;
  std::set<const Var*> reduce_loop_vars;
  for (size_t i = 0; i < b->iter_vars.size(); ++i) {
    const IterVar& iv = b->iter_vars[i];
    if (iv.is_reduce()) {
      collect_vars(r->iter_values[i], &reduce_loop_vars);
      continue;
    }
    if (uses_any_var(r->iter_values[i], {l->loop_var})) {
      CINN_THROW(ScheduleError) << kP << ": " << loop_desc(l) << " also feeds the spatial "
                                << "iter_var '" << iv.var.var_name() << "' of block '"
                                << b->name << "'";
    }
    Expr v = Var::make(iv.var.var_name());
    to_new[iv.var.as<Var>()] = v;
    ivs.push_back({v, iv.range, IterVar::Kind::kSpatial});
    values.push_back(r->iter_values[i]);
  }
  Expr vrf = Var::make(l->loop_var.var_name() + "_rf");
  ivs.push_back({vrf, {l->min, l->extent}, IterVar::Kind::kSpatial});
  values.push_back(l->loop_var);
  VarMap loop_to_iter = {{l->loop_var.as<Var>(), vrf}};
  for (const For* f : loops) {
    if (f == l || !reduce_loop_vars.count(f->loop_var.as<Var>())) continue;
    if (uses_any_var(f->min, loop_vars) || uses_any_var(f->extent, loop_vars)) {
      CINN_THROW(ScheduleError) << kP << ": the bounds of " << loop_desc(f)
                                << ", which feeds the reduction, depend on other loops";
    }
    Expr v = Var::make(f->loop_var.var_name() + "_r");
    loop_to_iter[f->loop_var.as<Var>()] = v;
    ivs.push_back({v, {f->min, f->extent}, IterVar::Kind::kReduce});
    values.push_back(f->loop_var);
  }
  for (size_t i = 0; i < b->iter_vars.size(); ++i) {
    if (b->iter_vars[i].is_reduce()) {
      to_new[b->iter_vars[i].var.as<Var>()] = substitute(r->iter_values[i], loop_to_iter);
    }
  }
  std::vector<Expr> rf_shape = out.shape();
  rf_shape.insert(rf_shape.begin() + factor_axis, l->extent);
  Buffer rf = Buffer::make(sched::fresh_buffer_name(func_, out.name() + "_rf"), out.dtype(),
                           rf_shape, out.scope());
  std::vector<Expr> rf_idx;
  for (const Expr& e : u.store->indices) rf_idx.push_back(substitute(e, to_new));
  rf_idx.insert(rf_idx.begin() + factor_axis, is_zero(l->min) ? vrf : vrf - l->min);
  Expr value = substitute(u.value, to_new);
  Stmt update = Store::make(rf, combine(u.combiner, Load::make(rf, rf_idx), value), rf_idx);
  if (u.guard.defined()) update = IfThenElse::make(substitute(u.guard, to_new), update);
  const auto* init_store = b->init.as<Store>();
  if (!init_store) {
    CINN_THROW(ScheduleError) << kP << ": the init of block '" << b->name
                              << "' must be a single store";
  }
  Stmt init = Store::make(rf, init_store->value, rf_idx);
  std::string rf_name = sched::fresh_block_name(func_, b->name + "_rf");
  Stmt rf_block = sched::make_block(b, ivs, init, update, rf_name);
  Stmt rf_realize = ScheduleBlockRealize::make(values, rf_block);

  // The write-back block: the original block reducing the rf buffer over the factored axis.
  std::vector<IterVar> wivs;
  std::vector<Expr> wloop_vars;
  for (const IterVar& iv : b->iter_vars) {
    if (!iv.is_reduce()) wivs.push_back(iv);
  }
  Expr vr = Var::make(l->loop_var.var_name() + "_v");
  wivs.push_back({vr, {l->min, l->extent}, IterVar::Kind::kReduce});
  std::vector<Expr> wb_idx = u.store->indices;
  wb_idx.insert(wb_idx.begin() + factor_axis, is_zero(l->min) ? vr : vr - l->min);
  Stmt wb_update = Store::make(
      out, combine(u.combiner, Load::make(out, u.store->indices), Load::make(rf, wb_idx)),
      u.store->indices);
  Stmt wb_block = sched::make_block(b, wivs, b->init, wb_update);
  // It goes right after the outermost statement around the block that holds nothing else,
  // looping over the same output points.
  size_t from = site.path.size();
  while (from > 0 && sched::all_blocks(Stmt(static_cast<const StmtNode*>(site.path[from - 1])))
                             .size() == 1) {
    --from;
  }
  const IRNode* anchor = from < site.path.size() ? static_cast<const IRNode*>(site.path[from])
                                                 : static_cast<const IRNode*>(r);
  Expr rloop = Var::make(b->name + "_" + vr.var_name());
  Stmt wb = spatial_copy(site, from, "_wb", [&](const std::vector<Expr>& vals) {
    std::vector<Expr> all = vals;
    all.push_back(is_zero(l->min) ? rloop : l->min + rloop);
    return For::make(rloop, Expr(0), l->extent, ForKind::kSerial,
                     ScheduleBlockRealize::make(all, wb_block));
  }, kP);
  Stmt body = sched::insert_stmt(func_.body(), anchor, wb, true);
  body = sched::replace_stmt(body, r, rf_realize);
  set_func(sched::add_temp_buffer(func_.with_body(body), rf));
  BlockRV rv = new_block_rv(rf_name);
  record({kP, {loop.id}, {rv.id}, {factor_axis}, {}, {}});
  return rv;
}

BlockRV IRSchedule::decompose_reduction(BlockRV block, LoopRV loop) {
  const char* kP = "decompose_reduction";
  const For* l = lookup(loop, kP);
  BlockSite site = sched::find_block(func_.body(), lookup(block, kP), kP);
  const ScheduleBlock* b = site.block;
  if (!b->init.defined()) {
    CINN_THROW(ScheduleError) << kP << ": block '" << b->name << "' has no init";
  }
  auto it = std::find(site.path.begin(), site.path.end(), static_cast<const StmtNode*>(l));
  if (it == site.path.end()) {
    CINN_THROW(ScheduleError) << kP << ": " << loop_desc(l) << " does not enclose block '"
                              << b->name << "'";
  }
  std::vector<IterVar> ivs;
  VarMap to_new;
  for (const IterVar& iv : b->iter_vars) {
    if (iv.is_reduce()) continue;
    Expr v = Var::make(iv.var.var_name());
    to_new[iv.var.as<Var>()] = v;
    ivs.push_back({v, iv.range, IterVar::Kind::kSpatial});
  }
  std::string name = sched::fresh_block_name(func_, b->name + "_init");
  Stmt init_block = sched::make_block(b, ivs, Stmt(), substitute(b->init, to_new), name);
  size_t from = static_cast<size_t>(it - site.path.begin());
  Stmt s = spatial_copy(site, from, "_init", [&](const std::vector<Expr>& vals) {
    return ScheduleBlockRealize::make(vals, init_block);
  }, kP);
  Stmt nb = sched::make_block(b, b->iter_vars, Stmt(), b->body);
  Stmt body = sched::replace_stmt(func_.body(), b, nb);
  const For* l2 = sched::find_loop(body, l->loop_var);
  body = sched::insert_stmt(body, l2, s, false);
  set_body(body);
  BlockRV rv = new_block_rv(name);
  record({kP, {block.id, loop.id}, {rv.id}, {}, {}, {}});
  return rv;
}

}  // namespace cinn::ir
