// compute_at and reverse_compute_at.
//
// Both move a block into another block's loop nest and give it fresh loops over just the
// region that the other block touches in one iteration of the target loop. The region of
// an access `e` (an index in terms of loop variables) is found without isl, as
//   m = e with every loop inside the target at its minimum,  d = e - m  (simplified),
// and [m + min(d), m + max(d)] with d's bounds over the inner loops' ranges. When d does not
// simplify to an expression of the inner loops alone, the bound is over every loop's range,
// which is still a superset; when it is unbounded the region is the whole dimension. A
// region that may reach outside the moved block's domain is guarded. compute_at of a block
// writing shared memory also takes the union over the GPU thread loops around the target
// loop: the threads of a block share the buffer.
#include <algorithm>
#include <optional>
#include <set>

#include "cinn/ir/gpu_launch.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/schedule.h"
#include "cinn/ir/schedule_internal.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

using sched::BlockSite;
using sched::DimRegion;
using sched::loop_desc;
using sched::RegionUnion;

// Loops of `site` strictly inside `loop`.
std::vector<const For*> loops_inside(const BlockSite& site, const For* loop) {
  auto loops = site.loops();
  auto it = std::find(loops.begin(), loops.end(), loop);
  CINN_CHECK(it != loops.end()) << "block is not under the loop";
  return {it + 1, loops.end()};
}

// Every access of `buffer` (loads, or stores if `stores`) in a block, with the block's
// iter_values substituted: indices in terms of loop variables.
std::vector<std::vector<Expr>> accesses_of(const BlockSite& site, const Buffer& buffer,
                                           bool stores) {
  std::vector<std::vector<Expr>> out;
  VarMap m = sched::block_bindings(site);
  auto visit = [&](const Stmt& s) {
    post_order_visit(s, [&](const IRNode* n) {
      if (!stores && n->kind() == NodeKind::kLoad) {
        const auto* l = static_cast<const Load*>(n);
        if (!l->buffer.same_as(buffer)) return;
        std::vector<Expr> idx;
        for (const Expr& e : l->indices) idx.push_back(simplify(substitute(e, m)));
        out.push_back(idx);
      } else if (stores && n->kind() == NodeKind::kStore) {
        const auto* st = static_cast<const Store*>(n);
        if (!st->buffer.same_as(buffer)) return;
        std::vector<Expr> idx;
        for (const Expr& e : st->indices) idx.push_back(simplify(substitute(e, m)));
        out.push_back(idx);
      }
    });
  };
  visit(site.block->body);
  if (site.block->init.defined()) visit(site.block->init);
  return out;
}

// Position of `site` in program order.
size_t order_of(const std::vector<BlockSite>& all, const ScheduleBlockRealize* r) {
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].realize == r) return i;
  }
  return all.size();
}

// Program-order positions of the first and last block under `loop`.
std::pair<size_t, size_t> span_of(const std::vector<BlockSite>& all, const For* loop) {
  size_t first = all.size(), last = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (sched::contains(Stmt(loop), all[i].realize)) {
      first = std::min(first, i);
      last = i;
    }
  }
  return {first, last};
}

// Fresh loops for `b` whose iter_var k runs over `regions[k]` (or its whole range), around
// a realize of `b`; the realize is guarded where a region may leave the iter_var's range.
// `outer` are the loops around the insertion point (for proving the guard away).
Stmt make_nest(const ScheduleBlock* b, const std::vector<DimRegion>& regions,
               const std::vector<const For*>& outer) {
  VarRanges ranges = sched::loop_ranges(outer);
  std::vector<Expr> values, vars;
  std::vector<Expr> extents, conds;
  for (size_t k = 0; k < b->iter_vars.size(); ++k) {
    const IterVar& iv = b->iter_vars[k];
    Expr v = Var::make(b->name + "_" + iv.var.var_name());
    vars.push_back(v);
    const DimRegion& r = regions[k];
    if (r.whole()) {
      extents.push_back(iv.range.extent);
      values.push_back(is_zero(iv.range.min) ? v : iv.range.min + v);
      continue;
    }
    extents.push_back(Expr(r.extent));
    Expr value = simplify(r.min + v);
    values.push_back(value);
    Expr lo = iv.range.min, hi = iv.range.min + iv.range.extent;
    if (!can_prove(r.min >= lo, ranges)) conds.push_back(value >= lo);
    if (!can_prove(r.min + Expr(r.extent) <= hi, ranges)) conds.push_back(value < hi);
  }
  Stmt s = ScheduleBlockRealize::make(values, Stmt(b));
  if (!conds.empty()) {
    Expr c = conds[0];
    for (size_t i = 1; i < conds.size(); ++i) c = c && conds[i];
    s = IfThenElse::make(simplify(c), s);
  }
  for (size_t k = vars.size(); k-- > 0;) {
    s = For::make(vars[k], Expr(0), extents[k], ForKind::kSerial, s);
  }
  return s;
}

// The iter_var positions of `b` that the indices of its store to `buffer` are, one per
// dimension; throws unless each index is a distinct spatial iter_var.
std::vector<size_t> store_dims(const ScheduleBlock* b, const Buffer& buffer, const char* p) {
  std::vector<size_t> pos;
  const BufferRegion* w = nullptr;
  for (const BufferRegion& r : b->writes) {
    if (r.buffer.same_as(buffer)) w = &r;
  }
  CINN_CHECK(w) << "block '" << b->name << "' does not write '" << buffer.name() << "'";
  for (const Range& r : w->region) {
    size_t k = 0;
    while (k < b->iter_vars.size() && !b->iter_vars[k].var.same_as(r.min)) ++k;
    if (k == b->iter_vars.size() || b->iter_vars[k].is_reduce() ||
        std::find(pos.begin(), pos.end(), k) != pos.end()) {
      CINN_THROW(ScheduleError) << p << ": block '" << b->name << "' must write '"
                                << buffer.name() << "' at its spatial iter_vars, one per "
                                << "dimension";
    }
    pos.push_back(k);
  }
  return pos;
}

// Loops around (and including) `loop`.
std::vector<const For*> loops_to(const Stmt& root, const For* loop) {
  std::vector<const For*> out;
  post_order_visit(root, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kFor && sched::contains(Stmt(static_cast<const For*>(n)), loop)) {
      out.push_back(static_cast<const For*>(n));
    }
  });
  std::reverse(out.begin(), out.end());  // post-order lists the outermost last
  return out;
}

}  // namespace

void IRSchedule::compute_at(BlockRV block, LoopRV loop) {
  const char* kP = "compute_at";
  const For* target = lookup(loop, kP);
  BlockSite site = sched::find_block(func_.body(), lookup(block, kP), kP);
  const ScheduleBlock* b = site.block;
  if (b->writes.size() != 1) {
    CINN_THROW(ScheduleError) << kP << ": block '" << b->name << "' must write one buffer";
  }
  Buffer out = b->writes[0].buffer;
  if (!sched::is_temp(func_, out)) {
    CINN_THROW(ScheduleError) << kP << ": block '" << b->name << "' writes '" << out.name()
                              << "', an argument of function '" << func_.name()
                              << "'; only producers of intermediate buffers can be moved";
  }
  if (sched::contains(Stmt(target), site.realize)) {
    CINN_THROW(ScheduleError) << kP << ": block '" << b->name << "' is already under "
                              << loop_desc(target);
  }
  auto all = sched::all_blocks(func_.body());
  auto [first, last] = span_of(all, target);
  if (first == all.size() || order_of(all, site.realize) > first) {
    CINN_THROW(ScheduleError) << kP << ": " << loop_desc(target) << " does not run after block '"
                              << b->name << "'";
  }
  auto readers = sched::readers_of(func_.body(), out);
  bool any_inside = false;
  for (const BlockSite& r : readers) {
    if (!sched::contains(Stmt(target), r.realize)) {
      CINN_THROW(ScheduleError) << kP << ": " << loop_desc(target)
                                << " does not cover the region of '" << out.name()
                                << "' consumed by block '" << r.block->name
                                << "', which is outside it";
    }
    any_inside = true;
  }
  if (!any_inside) {
    CINN_THROW(ScheduleError) << kP << ": no block under " << loop_desc(target) << " reads '"
                              << out.name() << "'";
  }
  std::vector<size_t> pos = store_dims(b, out, kP);
  RegionUnion u(out.ndim());
  for (const BlockSite& r : readers) {
    // One copy of a shared-memory buffer serves every thread of a GPU block: the region is
    // the union over the thread loops around the target too.
    std::vector<const For*> relaxed = loops_inside(r, target);
    if (out.scope() == MemoryScope::kShared) {
      for (const For* l : r.loops()) {
        if (is_gpu_kind(l->for_kind) && !is_block_kind(l->for_kind) && sched::contains(Stmt(l), target)) {
          relaxed.push_back(l);
        }
      }
    }
    for (const auto& idx : accesses_of(r, out, false)) u.add(idx, relaxed, r.loops());
  }
  std::vector<DimRegion> regions(b->iter_vars.size());
  for (size_t k = 0; k < pos.size(); ++k) regions[pos[k]] = u.dim(k);
  Stmt nest = make_nest(b, regions, loops_to(func_.body(), target));
  Stmt body = sched::remove_stmt(func_.body(), site.realize);
  const For* t = sched::find_loop(body, target->loop_var);
  set_body(sched::add_to_loop_body(body, t, nest, false));
  record({kP, {block.id, loop.id}, {}, {}, {}, {}});
}

void IRSchedule::reverse_compute_at(BlockRV block, LoopRV loop) {
  const char* kP = "reverse_compute_at";
  const For* target = lookup(loop, kP);
  BlockSite site = sched::find_block(func_.body(), lookup(block, kP), kP);
  const ScheduleBlock* c = site.block;
  if (sched::contains(Stmt(target), site.realize)) {
    CINN_THROW(ScheduleError) << kP << ": block '" << c->name << "' is already under "
                              << loop_desc(target);
  }
  auto all = sched::all_blocks(func_.body());
  auto [first, last] = span_of(all, target);
  size_t at = order_of(all, site.realize);
  if (first == all.size() || at < last) {
    CINN_THROW(ScheduleError) << kP << ": block '" << c->name << "' does not run after "
                              << loop_desc(target);
  }
  // The buffers the consumer reads, split into those produced under the loop and the rest.
  std::vector<DimRegion> regions(c->iter_vars.size());
  std::vector<bool> constrained(c->iter_vars.size(), false);
  bool any_producer = false;
  auto target_loops = loops_to(func_.body(), target);
  for (const BufferRegion& read : c->reads) {
    const Buffer& buf = read.buffer;
    auto writers = sched::writers_of(func_.body(), buf);
    std::vector<BlockSite> inside;
    for (const BlockSite& w : writers) {
      if (sched::contains(Stmt(target), w.realize)) {
        inside.push_back(w);
      } else if (order_of(all, w.realize) > first) {
        CINN_THROW(ScheduleError) << kP << ": block '" << w.block->name << "' writes '"
                                  << buf.name() << "', which block '" << c->name
                                  << "' reads, after " << loop_desc(target) << " starts";
      }
    }
    if (inside.empty()) continue;
    if (inside.size() != writers.size()) {
      CINN_THROW(ScheduleError) << kP << ": '" << buf.name() << "' is written both inside and "
                                << "outside " << loop_desc(target);
    }
    any_producer = true;
    // The producer's values must be final after each iteration of the loop.
    for (const BlockSite& w : inside) {
      for (size_t i = 0; i < w.block->iter_vars.size(); ++i) {
        if (!w.block->iter_vars[i].is_reduce()) continue;
        for (const For* f : target_loops) {
          if (uses_any_var(w.realize->iter_values[i], {f->loop_var})) {
            CINN_THROW(ScheduleError) << kP << ": " << loop_desc(f) << " carries the "
                                      << "reduction of block '" << w.block->name
                                      << "': its values in '" << buf.name()
                                      << "' are partial inside " << loop_desc(target);
          }
        }
      }
    }
    RegionUnion u(buf.ndim());
    for (const BlockSite& w : inside) {
      for (const auto& idx : accesses_of(w, buf, true)) u.add(idx, loops_inside(w, target), w.loops());
    }
    // The region is a bound on what one iteration writes; the consumer reads all of it, so
    // it must be exactly what is written (a larger box would read values the loop has not
    // produced yet): its size must be the number of points the producer's loops inside
    // the target enumerate (their spatial bindings are one-to-one). A run of a fused and
    // split loop (positions y*W + x in steps of 32) is not a box of y and x.
    int64_t box = 1;
    for (size_t k = 0; k < buf.shape().size() && box > 0; ++k) {
      DimRegion d = u.dim(k);
      const int64_t* e = d.whole() ? as_const_int(buf.shape()[k]) : &d.extent;
      box = e ? box * *e : -1;
    }
    for (const BlockSite& w : inside) {
      int64_t points = 1;
      for (const For* f : loops_inside(w, target)) {
        bool spatial = false;
        for (size_t i = 0; i < w.block->iter_vars.size(); ++i) {
          spatial = spatial || (!w.block->iter_vars[i].is_reduce() &&
                                uses_any_var(w.realize->iter_values[i], {f->loop_var}));
        }
        const int64_t* e = as_const_int(f->extent);
        if (spatial) points = e && points >= 0 ? points * *e : -1;
      }
      if (points < 0 || box != points) {
        CINN_THROW(ScheduleError) << kP << ": one iteration of " << loop_desc(target) << " has block '"
                                  << w.block->name << "' write "
                                  << (points < 0 ? std::string("a region of unknown size")
                                                 : std::to_string(points) + " elements")
                                  << " of '" << buf.name() << "', not a box (its bound has " << box
                                  << "): block '" << c->name << "' would read values not computed yet";
      }
    }
    // Each read of the buffer must be at iter_vars of the consumer, which then run over the
    // written region.
    post_order_visit(c->body, [&](const IRNode* n) {
      if (n->kind() != NodeKind::kLoad) return;
      const auto* l = static_cast<const Load*>(n);
      if (!l->buffer.same_as(buf)) return;
      for (size_t k = 0; k < l->indices.size(); ++k) {
        size_t v = 0;
        while (v < c->iter_vars.size() && !c->iter_vars[v].var.same_as(l->indices[k])) ++v;
        if (v == c->iter_vars.size()) {
          CINN_THROW(ScheduleError) << kP << ": block '" << c->name << "' reads '"
                                    << buf.name() << "' at " << to_string(Expr(l))
                                    << "; every index must be one of its iter_vars";
        }
        DimRegion d = u.dim(k);
        if (constrained[v] && (regions[v].whole() != d.whole() ||
                               (!d.whole() && (regions[v].extent != d.extent ||
                                               !can_prove(regions[v].min == d.min))))) {
          CINN_THROW(ScheduleError) << kP << ": block '" << c->name << "' reads the region "
                                    << "written under " << loop_desc(target)
                                    << " at two different offsets";
        }
        constrained[v] = true;
        regions[v] = d;
      }
    });
  }
  if (!any_producer) {
    CINN_THROW(ScheduleError) << kP << ": no block under " << loop_desc(target)
                              << " produces a buffer that block '" << c->name << "' reads";
  }
  for (size_t v = 0; v < c->iter_vars.size(); ++v) {
    const IterVar& iv = c->iter_vars[v];
    if (!iv.is_reduce() || regions[v].whole()) continue;
    if (!(regions[v].extent == (as_const_int(iv.range.extent) ? *as_const_int(iv.range.extent)
                                                              : -1) &&
          can_prove(regions[v].min == iv.range.min))) {
      CINN_THROW(ScheduleError) << kP << ": " << loop_desc(target) << " splits the reduction "
                                << "of block '" << c->name << "' over iter_var '"
                                << iv.var.var_name() << "'";
    }
  }
  Stmt nest = make_nest(c, regions, target_loops);
  Stmt body = sched::remove_stmt(func_.body(), site.realize);
  const For* t = sched::find_loop(body, target->loop_var);
  set_body(sched::add_to_loop_body(body, t, nest, true));
  record({kP, {block.id, loop.id}, {}, {}, {}, {}});
}

}  // namespace cinn::ir
