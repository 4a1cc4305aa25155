// cache_read, cache_write, set_scope, layout_transform and storage_align: primitives that
// introduce or rewrite buffers.
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

using sched::BlockSite;

// A block copying `src` into `dst` elementwise over the whole shape, in its own loop nest.
Stmt copy_nest(const std::string& name, const Buffer& src, const Buffer& dst) {
  std::vector<IterVar> ivs;
  std::vector<Expr> vars, loop_vars;
  for (int k = 0; k < src.ndim(); ++k) {
    Expr v = Var::make("v" + std::to_string(k));
    ivs.push_back({v, {Expr(0), src.shape()[k]}, IterVar::Kind::kSpatial});
    vars.push_back(v);
    loop_vars.push_back(Var::make("ax" + std::to_string(k)));
  }
  Stmt body = Store::make(dst, Load::make(src, vars), vars);
  Stmt block = sched::make_block(nullptr, ivs, Stmt(), body, name);
  Stmt s = ScheduleBlockRealize::make(loop_vars, block);
  for (int k = src.ndim(); k-- > 0;) {
    s = For::make(loop_vars[k], Expr(0), src.shape()[k], ForKind::kSerial, s);
  }
  return s;
}

bool block_reads(const ScheduleBlock* b, const Buffer& buf) {
  return std::any_of(b->reads.begin(), b->reads.end(),
                     [&](const BufferRegion& r) { return r.buffer.same_as(buf); });
}
bool block_writes(const ScheduleBlock* b, const Buffer& buf) {
  return std::any_of(b->writes.begin(), b->writes.end(),
                     [&](const BufferRegion& r) { return r.buffer.same_as(buf); });
}

// Redirects the accesses of `buffer` by the blocks of `sites` (all in one loop nest) to a
// new buffer in `scope` and adds the block that copies between them: before the nest for a
// read cache, after it for a write cache. Returns the new function; *name is the copy
// block's.
LoweredFunc add_cache(const LoweredFunc& f, const std::vector<BlockSite>& sites, const Buffer& buffer,
                      MemoryScope scope, bool write, std::string* name) {
  std::string base = buffer.name() + "_" + memory_scope_name(scope);
  Buffer cache = Buffer::make(sched::fresh_buffer_name(f, base), buffer.dtype(), buffer.shape(),
                              scope);
  *name = sched::fresh_block_name(f, base);
  Stmt copy = write ? copy_nest(*name, cache, buffer) : copy_nest(*name, buffer, cache);
  // Insert first: the insertion leaves the block nodes themselves in place.
  Stmt body = sched::insert_stmt(f.body(), sched::nest_root(sites[0]), copy, write);
  for (const BlockSite& site : sites) {
    body = sched::replace_stmt(body, site.block, sched::rewrite_accesses(Stmt(site.block), buffer, cache));
  }
  return sched::add_temp_buffer(f.with_body(body), cache);
}

}  // namespace

BlockRV IRSchedule::cache_read(BlockRV block, const std::string& buffer, MemoryScope scope) {
  return cache_read(std::vector<BlockRV>{block}, buffer, scope);
}

BlockRV IRSchedule::cache_read(const std::vector<BlockRV>& blocks, const std::string& buffer, MemoryScope scope) {
  const char* kP = "cache_read";
  if (blocks.empty()) CINN_THROW(ScheduleError) << kP << ": no consumer block given";
  Buffer src = sched::find_buffer(func_, buffer, kP);
  std::vector<BlockSite> sites;
  std::vector<int> ids;
  for (BlockRV block : blocks) {
    BlockSite site = sched::find_block(func_.body(), lookup(block, kP), kP);
    if (!block_reads(site.block, src)) {
      CINN_THROW(ScheduleError) << kP << ": block '" << site.block->name << "' does not read '"
                                << buffer << "'";
    }
    for (const BlockSite& other : sites) {
      if (other.block == site.block) {
        CINN_THROW(ScheduleError) << kP << ": block '" << site.block->name << "' is given twice";
      }
      if (sched::nest_root(other) != sched::nest_root(site)) {
        CINN_THROW(ScheduleError) << kP << ": blocks '" << other.block->name << "' and '" << site.block->name
                                  << "' are in different loop nests; one copy serves the consumers of one nest";
      }
    }
    sites.push_back(site);
    ids.push_back(block.id);
  }
  const IRNode* anchor = sched::nest_root(sites[0]);
  for (const BlockSite& w : sched::writers_of(func_.body(), src)) {
    if (sched::contains(Stmt(static_cast<const StmtNode*>(anchor)), w.realize)) {
      CINN_THROW(ScheduleError) << kP << ": '" << buffer << "' is written by block '"
                                << w.block->name << "' inside the loop nest of block '"
                                << sites[0].block->name << "'; cache it before moving blocks "
                                << "together";
    }
  }
  std::string name;
  set_func(add_cache(func_, sites, src, scope, /*write=*/false, &name));
  BlockRV rv = new_block_rv(name);
  record({kP, ids, {rv.id}, {}, {}, {buffer, memory_scope_name(scope)}});
  return rv;
}

BlockRV IRSchedule::cache_write(BlockRV block, const std::string& buffer, MemoryScope scope) {
  const char* kP = "cache_write";
  BlockSite site = sched::find_block(func_.body(), lookup(block, kP), kP);
  Buffer dst = sched::find_buffer(func_, buffer, kP);
  if (!block_writes(site.block, dst)) {
    CINN_THROW(ScheduleError) << kP << ": block '" << site.block->name << "' does not write '"
                              << buffer << "'";
  }
  const IRNode* anchor = sched::nest_root(site);
  for (const BlockSite& other : sched::all_blocks(Stmt(static_cast<const StmtNode*>(anchor)))) {
    if (other.realize != site.realize &&
        (block_reads(other.block, dst) || block_writes(other.block, dst))) {
      CINN_THROW(ScheduleError) << kP << ": block '" << other.block->name << "' also accesses '"
                                << buffer << "' inside the loop nest of block '"
                                << site.block->name << "'";
    }
  }
  std::string name;
  set_func(add_cache(func_, {site}, dst, scope, /*write=*/true, &name));
  BlockRV rv = new_block_rv(name);
  record({kP, {block.id}, {rv.id}, {}, {}, {buffer, memory_scope_name(scope)}});
  return rv;
}

void IRSchedule::set_scope(const std::string& buffer, MemoryScope scope) {
  const char* kP = "set_scope";
  Buffer b = sched::find_buffer(func_, buffer, kP);
  if (!sched::is_temp(func_, b)) {
    CINN_THROW(ScheduleError) << kP << ": '" << buffer << "' is an argument of function '"
                              << func_.name() << "'; arguments live in global memory";
  }
  Buffer nb = Buffer::make(b.name(), b.dtype(), b.shape(), scope);
  set_func(sched::replace_buffer(func_, b, nb));
  record({kP, {}, {}, {}, {}, {buffer, memory_scope_name(scope)}});
}

void IRSchedule::layout_transform(const std::string& buffer, const std::vector<Expr>& vars,
                                  const std::vector<Expr>& index_map) {
  const char* kP = "layout_transform";
  Buffer b = sched::find_buffer(func_, buffer, kP);
  if (!sched::is_temp(func_, b)) {
    CINN_THROW(ScheduleError) << kP << ": '" << buffer << "' is an argument of function '"
                              << func_.name() << "', whose layout the caller fixes; "
                              << "cache_read (or cache_write) it and transform the copy";
  }
  if (static_cast<int>(vars.size()) != b.ndim()) {
    CINN_THROW(ScheduleError) << kP << ": '" << buffer << "' has " << b.ndim()
                              << " dimensions but the index map takes " << vars.size();
  }
  // Decode each entry as (kind, dim, factor): v, v // f or v % f.
  std::vector<int64_t> ints = {b.ndim()};
  std::vector<Expr> shape;
  std::vector<std::vector<std::pair<int, int64_t>>> uses(vars.size());  // dim -> (kind, f)
  for (const Expr& e : index_map) {
    int kind = 0;
    Expr v = e;
    int64_t f = 1;
    if (const auto* d = e.as<Div>()) {
      kind = 1, v = d->a, f = as_const_int(d->b) ? *as_const_int(d->b) : 0;
    } else if (const auto* m = e.as<Mod>()) {
      kind = 2, v = m->a, f = as_const_int(m->b) ? *as_const_int(m->b) : 0;
    }
    auto it = std::find_if(vars.begin(), vars.end(), [&](const Expr& x) { return x.same_as(v); });
    if (it == vars.end() || f <= 0) {
      CINN_THROW(ScheduleError) << kP << ": index map entry " << to_string(e)
                                << " must be v, v // c or v % c for a variable v of the map "
                                << "and a constant c > 0";
    }
    int dim = static_cast<int>(it - vars.begin());
    uses[dim].push_back({kind, f});
    ints.insert(ints.end(), {kind, dim, f});
    const Expr& n = b.shape()[dim];
    shape.push_back(kind == 0 ? n : kind == 1 ? simplify((n + Expr(f - 1)) / Expr(f)) : Expr(f));
  }
  for (size_t d = 0; d < uses.size(); ++d) {
    const auto& u = uses[d];
    bool plain = u.size() == 1 && u[0].first == 0;
    bool blocked = u.size() == 2 && u[0].second == u[1].second &&
                   ((u[0].first == 1 && u[1].first == 2) || (u[0].first == 2 && u[1].first == 1));
    if (!plain && !blocked) {
      CINN_THROW(ScheduleError) << kP << ": the index map is not a one-to-one blocked layout: "
                                << "dimension " << d << " (variable '" << vars[d].var_name()
                                << "') must appear once as itself or twice as v // c and v % c";
    }
  }
  Buffer nb = Buffer::make(b.name(), b.dtype(), shape, b.scope());
  auto index_fn = [&](const std::vector<Expr>& idx) {
    VarMap m;
    for (size_t k = 0; k < vars.size(); ++k) m[vars[k].as<Var>()] = idx[k];
    std::vector<Expr> out;
    for (const Expr& e : index_map) out.push_back(simplify(substitute(e, m)));
    return out;
  };
  set_func(sched::replace_buffer(func_, b, nb, index_fn));
  record({kP, {}, {}, ints, {}, {buffer}});
}

void IRSchedule::storage_align(const std::string& buffer, int axis, int64_t factor,
                               int64_t offset) {
  const char* kP = "storage_align";
  Buffer b = sched::find_buffer(func_, buffer, kP);
  if (!sched::is_temp(func_, b)) {
    CINN_THROW(ScheduleError) << kP << ": '" << buffer << "' is an argument of function '"
                              << func_.name() << "', whose layout the caller fixes";
  }
  if (axis < 0) axis += b.ndim();
  if (axis < 0 || axis + 1 >= b.ndim()) {
    CINN_THROW(ScheduleError) << kP << ": axis must name one of the first " << b.ndim() - 1
                              << " dimensions of '" << buffer << "' (the last has stride 1)";
  }
  if (factor <= 0 || offset < 0 || offset >= factor) {
    CINN_THROW(ScheduleError) << kP << ": needs factor > 0 and 0 <= offset < factor, got "
                              << factor << " and " << offset;
  }
  int64_t inner = 1;
  for (int d = axis + 2; d < b.ndim(); ++d) {
    const int64_t* c = as_const_int(b.shape()[d]);
    if (!c) CINN_THROW(ScheduleError) << kP << ": '" << buffer << "' has a symbolic shape";
    inner *= *c;
  }
  const int64_t* ext = as_const_int(b.shape()[axis + 1]);
  if (!ext) CINN_THROW(ScheduleError) << kP << ": '" << buffer << "' has a symbolic shape";
  int64_t padded = *ext;
  while ((padded * inner) % factor != offset && padded < *ext + factor) ++padded;
  if ((padded * inner) % factor != offset) {
    CINN_THROW(ScheduleError) << kP << ": no padding of dimension " << axis + 1 << " of '"
                              << buffer << "' makes the stride of dimension " << axis
                              << " congruent to " << offset << " modulo " << factor;
  }
  std::vector<Expr> shape = b.shape();
  shape[axis + 1] = Expr(padded);
  Buffer nb = Buffer::make(b.name(), b.dtype(), shape, b.scope());
  set_func(sched::replace_buffer(func_, b, nb));
  record({kP, {}, {}, {axis, factor, offset}, {}, {buffer}});
}

}  // namespace cinn::ir
