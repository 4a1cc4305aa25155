#include "cinn/backends/cuda/schedule_cuda.h"

#include <algorithm>
#include <map>
#include <set>

#include "cinn/backends/schedule_common.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/visitor.h"

namespace cinn::backends::cuda {
namespace {

using ir::BlockRV;
using ir::IRSchedule;
using ir::LoopRV;

// Fuses the leading `n` loops of `b` and binds them, split by `threads`, to blockIdx.x and
// threadIdx.x. False when nothing was bound (the nest then runs on one thread).
bool bind_leading(IRSchedule& sch, BlockRV b, size_t n, int64_t threads) {
  auto loops = sch.get_loops(b);
  n = std::min(n, loops.size());
  if (n == 0) return false;
  LoopRV fused = loops[0];
  if (n > 1 && !attempt([&] { fused = sch.fuse(std::vector<LoopRV>(loops.begin(), loops.begin() + n)); })) {
    return false;
  }
  int64_t e = extent_of(sch, fused);
  if (e <= 0) return false;
  int64_t t = std::min(threads, e);
  return attempt([&] {
    auto parts = sch.split(fused, {-1, t});
    sch.bind(parts[0], "blockIdx.x");
    sch.bind(parts[1], "threadIdx.x");
  });
}

// The product of the extents of loops [begin, end) of `b` (-1 when one is not constant).
int64_t extent_product(IRSchedule& sch, const std::vector<LoopRV>& loops, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) {
    int64_t e = extent_of(sch, loops[i]);
    if (e <= 0) return -1;
    p *= e;
  }
  return p;
}


// A reduction with too few outputs to fill the GPU and a long reduce range, in two stages:
// the reduce loops, fused and split into `lanes` slices, are rfactored into `lanes` partial
// results per output, each computed by one thread; then each output sums its partial
// results. Rows (the reduce loop is the innermost index: a row sum) with fewer than 256
// outputs take up to 2048 strided slices, so neighbouring threads read neighbouring
// elements; columns (a sum over axis 0) with fewer than 32768 outputs take contiguous
// slices of rows, the lanes outside the outputs, so neighbouring threads read neighbouring
// columns; both aim at about 128K threads.
bool schedule_two_stage_reduction(IRSchedule& sch, BlockRV b, int64_t threads) {
  auto loops = sch.get_loops(b);
  size_t spatial = std::min<size_t>(num_spatial(sch.block_node(b)), loops.size());
  int64_t outputs = extent_product(sch, loops, 0, spatial);
  int64_t reduce = extent_product(sch, loops, spatial, loops.size());
  if (outputs < 0 || reduce < 0 || spatial == loops.size()) return false;
  bool rows = reduces_rows(sch.block_node(b));
  if (rows ? (outputs >= 256 || reduce < 4096) : (outputs >= 32768 || spatial == 0 || reduce < 256)) return false;
  int64_t lanes = 2048;
  // Column slices are ceil(reduce / lanes) long: every lane must hold some of the range (the
  // guarded tail would skip a lane's init, and the second stage would sum garbage).
  auto empty_lane = [&] { return !rows && (lanes - 1) * ((reduce + lanes - 1) / lanes) >= reduce; };
  while (lanes > 1 && (lanes * 16 > reduce || (!rows && lanes * outputs > (int64_t{1} << 17)) || empty_lane())) {
    lanes /= 2;
  }
  if (lanes < 2) return false;
  return attempt([&] {
    LoopRV r = loops[spatial];
    if (loops.size() - spatial > 1) {
      r = sch.fuse(std::vector<LoopRV>(loops.begin() + static_cast<std::ptrdiff_t>(spatial), loops.end()));
    }
    if (rows) {
      auto parts = sch.split(r, {-1, lanes});
      BlockRV rf = sch.rfactor(parts[1]);
      auto rl = sch.get_loops(rf);
      // rf loops: spatial..., outer reduce, lanes: the lanes go outside the serial loop.
      sch.reorder({rl[rl.size() - 1], rl[rl.size() - 2]});
      bind_leading(sch, rf, rl.size() - 1, threads);
    } else {
      auto parts = sch.split(r, {lanes, -1});
      BlockRV rf = sch.rfactor(parts[0], 0);
      auto rl = sch.get_loops(rf);
      // rf loops: spatial..., lanes, serial: the lanes go outside the outputs.
      std::vector<LoopRV> order = {rl[spatial]};
      order.insert(order.end(), rl.begin(), rl.begin() + static_cast<std::ptrdiff_t>(spatial));
      sch.reorder(order);
      bind_leading(sch, rf, spatial + 1, threads);
    }
    bind_leading(sch, b, spatial, threads);
  });
}

// An update at data-dependent positions (update_loops): the loops that index the store
// directly are bound to threads; the others stay serial inside them, in order, so that
// updates of one position never race.
bool schedule_update(IRSchedule& sch, BlockRV b, int64_t threads) {
  std::vector<LoopRV> parallel, serial;
  if (!update_loops(sch, b, &parallel, &serial)) return false;
  bool bound = false;
  attempt([&] {
    std::vector<LoopRV> order = parallel;
    order.insert(order.end(), serial.begin(), serial.end());
    sch.reorder(order);
    bound = bind_leading(sch, b, parallel.size(), threads);
  });
  return bound;
}

// Whether an access runs along `var`: its last index is `var`, no other index uses it.
bool runs_along(const std::vector<ir::Expr>& indices, const ir::Expr& var) {
  if (indices.empty() || !indices.back().same_as(var)) return false;
  for (size_t d = 0; d + 1 < indices.size(); ++d) {
    if (ir::uses_any_var(indices[d], {var})) return false;
  }
  return true;
}

// Vectorized elementwise nests move up to kVectorBytes per thread and buffer (uint4 copies,
// see emit_vector_copy in the C printer), and only where that still leaves kVectorMinThreads
// threads (about 500 per SM of an H100); smaller nests keep one element per thread.
constexpr int64_t kVectorBytes = 16, kVectorMinThreads = 65536;

// A spatial nest `out[v...] = f(in[...], ...)` whose loops are its iter vars (in order, constant
// extents) and whose output is stored at those vars: each thread computes `lanes`
// consecutive outputs along the last loop (`bytes` of them, a power of two up to 16). The output and every input
// read only at indices that end with the last iter var and use it nowhere else (the same
// shape, or broadcast along leading dimensions) are copied through local arrays of `lanes`
// elements by vectorized loops, which the CUDA printer turns into single 16-byte moves; the
// computation between them is unrolled. Rows whose length `lanes` does not divide stay scalar.
bool schedule_vectorized_spatial(IRSchedule& sch, BlockRV b, int64_t threads, int64_t bytes) {
  const ir::ScheduleBlock* node = sch.block_node(b);
  if (is_reduction(node) || node->writes.size() != 1 || node->iter_vars.empty()) return false;
  auto loops = sch.get_loops(b);
  auto values = sch.block_iter_values(b);
  if (loops.size() != values.size()) return false;
  for (size_t d = 0; d < loops.size(); ++d) {
    if (!values[d].same_as(sch.loop_var(loops[d])) || extent_of(sch, loops[d]) <= 0) return false;
  }
  const ir::Buffer& out = node->writes[0].buffer;
  int64_t lanes = 1;
  while (lanes * 2 * out.dtype().bytes() <= std::min(bytes, kVectorBytes)) lanes *= 2;
  const int64_t total = extent_product(sch, loops, 0, loops.size());
  if (lanes < 2 || extent_of(sch, loops.back()) % lanes != 0 || total < lanes * kVectorMinThreads) {
    return false;
  }
  const ir::Expr last = node->iter_vars.back().var;
  bool store_ok = false;
  std::map<std::string, bool> inputs;  // buffer -> every load of it runs along the last loop
  ir::post_order_visit(node->body, [&](const ir::IRNode* n) {
    if (n->kind() == ir::NodeKind::kStore) {
      const auto* st = static_cast<const ir::Store*>(n);
      store_ok = st->buffer.name() == out.name() && runs_along(st->indices, last);
    } else if (n->kind() == ir::NodeKind::kLoad) {
      const auto* ld = static_cast<const ir::Load*>(n);
      bool ok = runs_along(ld->indices, last) && ld->buffer.dtype().bytes() * lanes <= std::min(bytes, kVectorBytes);
      auto [it, fresh] = inputs.emplace(ld->buffer.name(), ok);
      if (!fresh) it->second = it->second && ok;
    }
  });
  // A block that reads what it writes (an update in place) keeps its accesses.
  if (!store_ok || inputs.count(out.name())) return false;
  return attempt_all(sch, [&](IRSchedule& s) {
    // The last loop split first: a thread's run of `lanes` stays inside one row, which
    // keeps the regions of the copies exact under the guard of a partial last block.
    auto l = s.get_loops(b);
    auto row = s.split(l.back(), {-1, lanes});
    l.back() = row[0];
    LoopRV fused = l.size() == 1 ? l[0] : s.fuse(l);
    auto parts = s.split(fused, {-1, std::min(threads, total / lanes)});
    parts.push_back(row[1]);
    s.bind(parts[0], "blockIdx.x");
    s.bind(parts[1], "threadIdx.x");
    for (const auto& [buffer, ok] : inputs) {
      if (!ok) continue;
      BlockRV c = s.cache_read(b, buffer, ir::MemoryScope::kLocal);
      s.compute_at(c, parts[1]);
      s.vectorize(s.get_loops(c).back());
    }
    BlockRV w = s.cache_write(b, out.name(), ir::MemoryScope::kLocal);
    s.reverse_compute_at(w, parts[1]);
    s.vectorize(s.get_loops(w).back());
    s.unroll(parts[2]);
  });
}

// Threads for reducing `n` values across a block: a power of two from 32 up to `threads`,
// no more than n needs.
int64_t reduce_threads(int64_t n, int64_t threads) {
  int64_t t = 32;
  while (t < threads && t < n) t *= 2;
  return std::max<int64_t>(32, std::min(t, threads / 32 * 32));
}

// Whether threads can cooperate on `b`'s reduction: it reduces rows (consecutive threads
// read consecutive addresses) and a block reduction exists for its type.
bool cross_thread_reducible(const ir::ScheduleBlock* b) {
  return reduces_rows(b) && ir::gpu_block_reduce_supports(b->writes[0].buffer.dtype());
}

// The loops of `b` that feed its reduce iter_values, when they are its innermost loops.
std::vector<LoopRV> trailing_reduce_loops(IRSchedule& sch, BlockRV b) {
  auto loops = sch.get_loops(b);
  size_t first = loops.size();
  while (first > 0 && feeds_reduce(sch, b, loops[first - 1])) --first;
  for (size_t i = 0; i < first; ++i) {
    if (feeds_reduce(sch, b, loops[i])) return {};
  }
  return std::vector<LoopRV>(loops.begin() + static_cast<std::ptrdiff_t>(first), loops.end());
}

// Spreads `loops` (consecutive, innermost of their block) over `t` threads: fused, split by
// t, the t-loop outermost and bound to threadIdx.x, the rest serial inside it. For reduce
// loops this makes a cross-thread reduction (lower_thread_reductions).
void bind_across_threads(IRSchedule& sch, const std::vector<LoopRV>& loops, int64_t t) {
  LoopRV fused = loops.size() == 1 ? loops[0] : sch.fuse(loops);
  auto parts = sch.split(fused, {-1, t});
  sch.reorder({parts[1], parts[0]});
  sch.bind(parts[1], "threadIdx.x");
}

// A reduction whose reduce loops are innermost and contiguous, one thread block per output:
// its spatial loops fused and bound to blockIdx.x, its reduce loops spread over the block's
// threads and combined with a block reduction.
bool schedule_block_reduction(IRSchedule& sch, BlockRV b, int64_t threads) {
  if (!cross_thread_reducible(sch.block_node(b))) return false;
  std::vector<LoopRV> reduce = trailing_reduce_loops(sch, b);
  int64_t n = extent_product(sch, reduce, 0, reduce.size());
  if (reduce.empty() || n < 32) return false;
  return attempt_all(sch, [&](IRSchedule& s) {
    auto loops = s.get_loops(b);
    size_t spatial = loops.size() - reduce.size();
    if (spatial > 0) {
      LoopRV outer = spatial == 1 ? loops[0]
                                  : s.fuse(std::vector<LoopRV>(loops.begin(), loops.begin() + static_cast<std::ptrdiff_t>(spatial)));
      s.bind(outer, "blockIdx.x");
    }
    bind_across_threads(s, trailing_reduce_loops(s, b), reduce_threads(n, threads));
  });
}

// A row kernel's own loops of block `b` (under the leading `depth` loops of the row): the
// loops after them, or, for a reduction, its trailing reduce loops.
std::vector<LoopRV> row_loops(IRSchedule& sch, BlockRV b, size_t depth) {
  if (is_reduction(sch.block_node(b))) return trailing_reduce_loops(sch, b);
  auto loops = sch.get_loops(b);
  return std::vector<LoopRV>(loops.begin() + static_cast<std::ptrdiff_t>(std::min(depth, loops.size())), loops.end());
}

// The leading `depth` loops of a row kernel's last block (which every block shares after
// compute_at_last), fused and bound to blockIdx.x: one thread block per row.
LoopRV bind_rows(IRSchedule& s, size_t depth) {
  auto loops = s.get_loops(s.get_all_blocks().back());
  LoopRV rows = depth == 1 ? loops[0]
                           : s.fuse(std::vector<LoopRV>(loops.begin(), loops.begin() + static_cast<std::ptrdiff_t>(depth)));
  s.bind(rows, "blockIdx.x");
  return rows;
}

// Rows whose inputs are cached in registers: up to kRowCacheBytes of a row per thread block.
constexpr int64_t kRowCacheBytes = 16 * 1024;

// schedule_rows_across_threads for rows that several nests read (softmax: the max, the sum
// of exponentials and the output; layer_norm: mean, variance, output): each such input is
// read from global memory once per row, into registers. Every nest of the row runs over the
// same element order: thread tx takes runs of `lanes` consecutive elements (16 bytes) at
// (o * t + tx) * lanes, o = 0, 1, ...; one copy block per input (cache_read shared by all its
// consumers) moves each run with a single 16-byte load into a local array that every nest
// then reads -- the same elements in the same thread, so no barrier is needed. The local
// array is laid out [o][run] so that compact_gpu_buffers keeps the thread's runs only.
// Applies when every nest's own part of the row is one loop of the same length, a
// multiple of t * lanes, and the row's inputs fit in `max_bytes`.
bool schedule_rows_in_registers(IRSchedule& sch, size_t depth, int64_t t, int64_t max_bytes) {
  std::vector<BlockRV> blocks = sch.get_all_blocks();
  int64_t n = 0;
  std::map<std::string, std::vector<std::string>> readers;  // input -> consumer blocks
  std::map<std::string, bool> along_row;                    // input -> every read runs along the row
  for (BlockRV b : blocks) {
    const ir::ScheduleBlock* node = sch.block_node(b);
    std::vector<LoopRV> own = row_loops(sch, b, depth);
    if (own.size() != 1) return false;
    int64_t e = extent_of(sch, own[0]);
    if (e <= 0 || (n != 0 && e != n)) return false;
    n = e;
    // The iter var that the row's loop feeds.
    auto values = sch.block_iter_values(b);
    ir::Expr lv = sch.loop_var(own[0]);
    const ir::Expr* var = nullptr;
    for (size_t k = 0; k < values.size(); ++k) {
      if (values[k].same_as(lv)) var = &node->iter_vars[k].var;
    }
    if (!var) return false;
    std::set<std::string> seen;
    ir::post_order_visit(node->body, [&](const ir::IRNode* x) {
      if (x->kind() != ir::NodeKind::kLoad) return;
      const auto* ld = static_cast<const ir::Load*>(x);
      const std::string& name = ld->buffer.name();
      bool ok = runs_along(ld->indices, *var);
      auto [it, fresh] = along_row.emplace(name, ok);
      if (!fresh) it->second = it->second && ok;
      if (seen.insert(name).second) readers[name].push_back(sch.block_name(b));
    });
  }
  std::vector<std::string> staged;
  int64_t bytes = 0, lanes = 0;
  for (const auto& [name, consumers] : readers) {
    if (consumers.size() < 2 || !along_row[name]) continue;
    ir::Buffer buf;
    for (BlockRV b : blocks) {
      for (const auto& rd : sch.block_node(b)->reads) {
        if (rd.buffer.name() == name) buf = rd.buffer;
      }
    }
    int64_t l = kVectorBytes / buf.dtype().bytes();
    if (lanes != 0 && l != lanes) return false;
    lanes = l;
    bytes += n * buf.dtype().bytes();
    staged.push_back(name);
  }
  if (staged.empty() || lanes < 2 || bytes > max_bytes || n % lanes != 0) return false;
  int64_t tv = t;  // a power of two: whole warps
  while (tv > 32 && (n / lanes) % tv != 0) tv /= 2;
  if (tv < 32 || (n / lanes) % tv != 0) return false;
  return attempt_all(sch, [&](IRSchedule& s) {
    LoopRV rows = bind_rows(s, depth);
    std::vector<BlockRV> bs = s.get_all_blocks();
    // (o, thread, run) with the thread loop outermost; `vector_run` vectorizes the run. The
    // o loop is unrolled too: the local arrays are indexed by constants (registers).
    auto spread = [&](LoopRV l, bool vector_run) {
      auto parts = s.split(l, {-1, tv, lanes});
      s.reorder({parts[1], parts[0], parts[2]});
      s.bind(parts[1], "threadIdx.x");
      if (extent_of(s, parts[0]) > 1) s.unroll(parts[0]);
      if (vector_run) {
        s.vectorize(parts[2]);
      } else {
        s.unroll(parts[2]);
      }
    };
    for (BlockRV b : bs) spread(row_loops(s, b, 1)[0], false);
    // The row's output: runs of `lanes` written by single 16-byte stores too, where the
    // output's type has the inputs' width.
    BlockRV last = bs.back();
    const ir::Buffer& out = s.block_node(last)->writes[0].buffer;
    if (out.dtype().bytes() * lanes == kVectorBytes) {
      auto ll = s.get_loops(last);
      BlockRV w = s.cache_write(last, out.name(), ir::MemoryScope::kLocal);
      s.reverse_compute_at(w, ll[ll.size() - 2]);
      s.vectorize(s.get_loops(w).back());
    }
    for (const std::string& name : staged) {
      std::vector<BlockRV> consumers;
      for (const std::string& c : readers[name]) consumers.push_back(s.get_block(c));
      BlockRV c = s.cache_read(consumers, name, ir::MemoryScope::kLocal);
      s.compute_at(c, rows);
      spread(s.get_loops(c).back(), true);
      const ir::Buffer& cache = s.block_node(c)->writes[0].buffer;
      std::vector<ir::Expr> vars, map;
      for (int d = 0; d < cache.ndim(); ++d) vars.push_back(ir::Var::make("d" + std::to_string(d), common::Int(64)));
      map.assign(vars.begin(), vars.end() - 1);
      map.push_back(ir::Div::make(vars.back(), ir::Expr(tv * lanes)));
      map.push_back(ir::Mod::make(vars.back(), ir::Expr(tv * lanes)));
      s.layout_transform(cache.name(), vars, map);
    }
  });
}

// A kernel computed per row (every block under the leading `depth` loops of the last one,
// compute_at_last) with rows long enough to share: one thread block per row, every nest of
// the row spread over its threads -- reductions combined across them (each thread gets the
// result), the last, spatial nest strided. Rows with other spatial nests are left alone: a
// thread would read what others wrote without a barrier between them.
bool schedule_rows_across_threads(IRSchedule& sch, size_t depth, int64_t threads, int64_t row_bytes) {
  std::vector<BlockRV> blocks = sch.get_all_blocks();
  int64_t row = 0;
  for (BlockRV b : blocks) {
    const ir::ScheduleBlock* node = sch.block_node(b);
    std::vector<LoopRV> own = row_loops(sch, b, depth);
    if (is_reduction(node)) {
      if (!cross_thread_reducible(node)) return false;
    } else if (b.id != blocks.back().id) {
      // Threads would read elements other threads wrote: that needs a barrier.
      return false;
    }
    int64_t n = extent_product(sch, own, 0, own.size());
    if (own.empty() || n < 0) return false;
    row = std::max(row, n);
  }
  if (row < 32) return false;
  int64_t t = reduce_threads(row, threads);
  if (row_bytes > 0 && schedule_rows_in_registers(sch, depth, t, row_bytes)) return true;
  return attempt_all(sch, [&](IRSchedule& s) {
    bind_rows(s, depth);
    for (BlockRV b : s.get_all_blocks()) bind_across_threads(s, row_loops(s, b, 1), t);
  });
}

// A matmul-like reduction: out[batch..., i, j] = sum_k lhs[...] * rhs[...] where every index
// of each operand load is an iter var, lhs uses i and k (not j), rhs k and j (not i), and
// the loops are (batch..., i, j, k) with constant extents.
struct MatmulBlock {
  std::string out, lhs, rhs;
  std::vector<int> lhs_dims, rhs_dims;  // the operand dimensions indexed by (i, k) / (k, j)
  size_t lhs_ndim = 0, rhs_ndim = 0;
  int64_t m = 0, n = 0, k = 0, batch = 1;
};

bool match_matmul(IRSchedule& sch, BlockRV b, MatmulBlock* mm) {
  const ir::ScheduleBlock* node = sch.block_node(b);
  auto loops = sch.get_loops(b);
  if (!is_reduction(node) || node->writes.size() != 1 || loops.size() < 3 || loops.size() != node->iter_vars.size() ||
      num_spatial(node) + 1 != static_cast<int>(loops.size()) || !node->iter_vars.back().is_reduce()) {
    return false;
  }
  auto values = sch.block_iter_values(b);
  for (size_t d = 0; d < loops.size(); ++d) {
    if (!values[d].same_as(sch.loop_var(loops[d])) || extent_of(sch, loops[d]) <= 0) return false;
  }
  size_t nb = loops.size() - 3;
  const auto& iv = node->iter_vars;
  ir::Expr vi = iv[nb].var, vj = iv[nb + 1].var, vk = iv[nb + 2].var;
  mm->out = node->writes[0].buffer.name();
  std::vector<const ir::Load*> loads;
  ir::post_order_visit(node->body, [&](const ir::IRNode* n) {
    if (n->kind() != ir::NodeKind::kLoad) return;
    const auto* l = static_cast<const ir::Load*>(n);
    if (l->buffer.name() != mm->out) loads.push_back(l);
  });
  if (loads.size() != 2) return false;
  auto dims_of = [&](const ir::Load* l, const ir::Expr& a, const ir::Expr& c, const ir::Expr& absent,
                     std::vector<int>* dims) {
    int pa = -1, pc = -1;
    for (size_t d = 0; d < l->indices.size(); ++d) {
      const ir::Expr& e = l->indices[d];
      if (e.same_as(a)) pa = static_cast<int>(d);
      if (e.same_as(c)) pc = static_cast<int>(d);
      if (e.same_as(absent)) return false;
      bool iter = false;
      for (const auto& v : iv) iter = iter || e.same_as(v.var);
      if (!iter) return false;
    }
    *dims = {pa, pc};
    return pa >= 0 && pc >= 0;
  };
  const ir::Load* lhs = loads[0];
  const ir::Load* rhs = loads[1];
  if (!dims_of(lhs, vi, vk, vj, &mm->lhs_dims)) std::swap(lhs, rhs);
  if (!dims_of(lhs, vi, vk, vj, &mm->lhs_dims) || !dims_of(rhs, vk, vj, vi, &mm->rhs_dims)) return false;
  if (lhs->buffer.same_as(rhs->buffer)) return false;
  mm->lhs = lhs->buffer.name();
  mm->rhs = rhs->buffer.name();
  mm->lhs_ndim = lhs->indices.size();
  mm->rhs_ndim = rhs->indices.size();
  for (size_t d = 0; d < nb; ++d) mm->batch *= extent_of(sch, loops[d]);
  mm->m = extent_of(sch, loops[nb]);
  mm->n = extent_of(sch, loops[nb + 1]);
  mm->k = extent_of(sch, loops[nb + 2]);
  return true;
}

// The write-back of a register tile: the elementwise consumers of `out` inlined into the
// cache_write copy block `w` (reverse_compute_inline, as long as one applies).
void inline_epilogue(IRSchedule& s, BlockRV w, const std::string& out) {
  for (bool inlined = true; inlined;) {
    inlined = false;
    for (BlockRV c : s.get_all_blocks()) {
      const ir::ScheduleBlock* node = s.block_node(c);
      if (is_reduction(node) || s.block_name(c) == s.block_name(w)) continue;
      bool reads_out = false;
      for (const auto& rd : node->reads) reads_out = reads_out || rd.buffer.name() == out;
      if (reads_out && attempt([&] { s.reverse_compute_inline(c); })) {
        inlined = true;
        break;
      }
    }
  }
}

// Shares the loops of block `c` inside loop `at` among `threads` threads: fused, split, the
// inner part bound to threadIdx.x as a cooperative loop.
void cooperative_load(IRSchedule& s, BlockRV c, LoopRV at, int64_t threads) {
  auto cl = s.get_loops(c);
  size_t k = 0;
  while (k < cl.size() && !s.loop_var(cl[k]).same_as(s.loop_var(at))) ++k;
  std::vector<LoopRV> inner(cl.begin() + static_cast<std::ptrdiff_t>(k + 1), cl.end());
  LoopRV fused = inner.size() == 1 ? inner[0] : s.fuse(inner);
  int64_t e = extent_of(s, fused);
  auto parts = s.split(fused, {-1, std::min(e, threads)});
  s.bind(parts[1], "threadIdx.x");
}

// The tiled templates use thread blocks of kTileSide x kTileSide threads, bound to
// threadIdx.x, and want at least kMinBlocks thread blocks (one per SM of an H100).
constexpr int64_t kTileSide = 16, kTileThreads = kTileSide * kTileSide, kMinBlocks = 132;

// The largest power of two up to `want` that divides `extent` (1 at worst).
int64_t dividing_step(int64_t extent, int64_t want) {
  int64_t step = want;
  while (step > 1 && extent % step != 0) step /= 2;
  return step;
}

void unroll_serial_loops(IRSchedule& s, BlockRV b) {
  for (LoopRV l : s.get_loops(b)) {
    if (extent_of(s, l) > 1 && s.loop_node(l)->for_kind == ir::ForKind::kSerial) s.unroll(l);
  }
}

// A register tile of the outputs of reduction `r` per thread of loop `t`: `r` accumulates
// into a local buffer (compact_gpu_buffers makes it the thread's tile), initialized before
// the reduction loop `step` and written back, with the elementwise consumers of `out`
// inlined, at the end of `t`; init and write-back unrolled.
void register_tile(IRSchedule& s, BlockRV r, const std::string& out, LoopRV t, LoopRV step) {
  BlockRV w = s.cache_write(r, out, ir::MemoryScope::kLocal);
  inline_epilogue(s, w, out);
  s.reverse_compute_at(w, t);
  BlockRV init = s.decompose_reduction(r, step);
  unroll_serial_loops(s, init);
  unroll_serial_loops(s, w);
}

// A tiled matmul: a thread block of 16 x 16 threads computes a (16 tm) x (16 tn) tile of
// the output, each thread a contiguous tm x tn sub-tile accumulated in registers
// (cache_write "local", compacted to tm x tn by compact_gpu_buffers). The reduction runs in
// steps of bk: each step the block loads a (16 tm) x bk tile of lhs and a bk x (16 tn) tile
// of rhs into shared memory with cooperative loops (coalesced global reads), then every
// thread does bk x tm x tn fused multiply-adds from them, unrolled. Shared layouts: lhs as
// [k][i] (threads of a warp read one or two addresses: broadcasts), rhs as
// [k][j % tn][j / tn] (a warp's threads read consecutive words: no bank conflicts).
// Elementwise consumers of the result are inlined into the register tile's write-back.
bool schedule_matmul_tiled(IRSchedule& sch, BlockRV r, const CudaScheduleParams& p) {
  MatmulBlock mm;
  if (!match_matmul(sch, r, &mm)) return false;
  if (mm.m % kTileSide != 0 || mm.n % kTileSide != 0) return false;
  // The largest thread tile that divides the output and still gives the GPU enough blocks
  // (one per SM of an H100), else the one with the most blocks.
  int64_t tm = 0, tn = 0;
  const std::vector<std::pair<int64_t, int64_t>> tiles = {{8, 8}, {8, 4}, {4, 8}, {4, 4}, {4, 2},
                                                          {2, 4}, {2, 2}, {2, 1}, {1, 2}, {1, 1}};
  for (auto [a, b] : tiles) {
    if (p.matmul_tm > 0 && a != p.matmul_tm) continue;
    if (p.matmul_tn > 0 && b != p.matmul_tn) continue;
    if (mm.m % (kTileSide * a) != 0 || mm.n % (kTileSide * b) != 0) continue;
    tm = a;
    tn = b;
    int64_t blocks = mm.batch * (mm.m / (kTileSide * a)) * (mm.n / (kTileSide * b));
    if (blocks >= kMinBlocks) break;
  }
  if (tm == 0) return false;
  int64_t bk = dividing_step(mm.k, p.matmul_bk > 0 ? p.matmul_bk : 8);
  return attempt_all(sch, [&](IRSchedule& s) {
    auto loops = s.get_loops(r);
    size_t nb = loops.size() - 3;
    auto is = s.split(loops[nb], {-1, kTileSide, tm});
    auto js = s.split(loops[nb + 1], {-1, kTileSide, tn});
    auto ks = s.split(loops[nb + 2], {-1, bk});
    s.reorder({is[0], js[0], is[1], js[1], ks[0], ks[1], is[2], js[2]});
    LoopRV t = s.fuse({is[1], js[1]});
    s.bind(js[0], "blockIdx.x");
    s.bind(is[0], "blockIdx.y");
    if (nb > 0) {
      std::vector<LoopRV> batch(loops.begin(), loops.begin() + static_cast<std::ptrdiff_t>(nb));
      s.bind(nb == 1 ? batch[0] : s.fuse(batch), "blockIdx.z");
    }
    s.bind(t, "threadIdx.x");
    register_tile(s, r, mm.out, t, ks[0]);
    auto operand = [&](const std::string& buffer, const std::vector<int>& dims, size_t ndim, bool is_lhs) {
      BlockRV c = s.cache_read(r, buffer, ir::MemoryScope::kShared);
      s.compute_at(c, ks[0]);
      std::string shared = s.block_node(c)->writes[0].buffer.name();
      std::vector<ir::Expr> vars, map;
      for (size_t d = 0; d < ndim; ++d) vars.push_back(ir::Var::make("d" + std::to_string(d), common::Int(64)));
      for (size_t d = 0; d < ndim; ++d) {
        if (static_cast<int>(d) != dims[0] && static_cast<int>(d) != dims[1]) map.push_back(vars[d]);
      }
      if (is_lhs) {  // [k][i]
        map.push_back(vars[static_cast<size_t>(dims[1])]);
        map.push_back(vars[static_cast<size_t>(dims[0])]);
      } else {  // [k][j % tn][j / tn]
        ir::Expr j = vars[static_cast<size_t>(dims[1])];
        map.push_back(vars[static_cast<size_t>(dims[0])]);
        if (tn > 1) map.push_back(ir::Mod::make(j, ir::Expr(tn)));
        map.push_back(tn > 1 ? ir::Div::make(j, ir::Expr(tn)) : j);
      }
      s.layout_transform(shared, vars, map);
      cooperative_load(s, c, ks[0], kTileThreads);
    };
    operand(mm.lhs, mm.lhs_dims, mm.lhs_ndim, true);
    operand(mm.rhs, mm.rhs_dims, mm.rhs_ndim, false);
    auto rl = s.get_loops(r);
    for (size_t d = rl.size() - 3; d < rl.size(); ++d) s.unroll(rl[d]);
  });
}

// A direct NCHW convolution block out[n, f, y, x] += in[n, c, y * sy + r, x * sx + s] * w[f, c, r, s]
// (groups = 1, any stride; `in` the zero-padded staging buffer or the input itself), tiled
// like the matmul: a block of 16 x 16 threads computes 16 tf output channels by 16 runs of
// tp output columns; each thread a tf x tp register tile. The weights of each step of bk
// input channels go to shared memory (cooperative loads); the input is read from global
// memory through the L1 cache (the 16 channel groups of a block reuse every value).
bool schedule_conv_tiled(IRSchedule& sch, BlockRV r, const CudaScheduleParams& p) {
  const ir::ScheduleBlock* node = sch.block_node(r);
  auto loops = sch.get_loops(r);
  if (!is_reduction(node) || loops.size() != 7 || num_spatial(node) != 4 || node->writes.size() != 1) return false;
  auto values = sch.block_iter_values(r);
  for (size_t d = 0; d < loops.size(); ++d) {
    if (!values[d].same_as(sch.loop_var(loops[d])) || extent_of(sch, loops[d]) <= 0) return false;
  }
  // The weight load: w[f, c, r, s] with the block's iter vars in that order.
  const auto& iv = node->iter_vars;
  std::string weight;
  ir::post_order_visit(node->body, [&](const ir::IRNode* n) {
    if (n->kind() != ir::NodeKind::kLoad) return;
    const auto* l = static_cast<const ir::Load*>(n);
    if (l->indices.size() == 4 && l->indices[0].same_as(iv[1].var) && l->indices[1].same_as(iv[4].var) &&
        l->indices[2].same_as(iv[5].var) && l->indices[3].same_as(iv[6].var)) {
      weight = l->buffer.name();
    }
  });
  if (weight.empty()) return false;
  int64_t batch = extent_of(sch, loops[0]), channels = extent_of(sch, loops[1]),
          height = extent_of(sch, loops[2]), width = extent_of(sch, loops[3]);
  int64_t tf = dividing_step(channels / kTileSide, p.conv_tf > 0 ? p.conv_tf : 4);
  if (channels % (kTileSide * tf) != 0) return false;
  int64_t tp = 0;
  for (int64_t cand : {8, 7, 4, 2, 1}) {
    if (p.conv_tp > 0 && cand != p.conv_tp) continue;
    if (width % cand == 0 && (batch * height * (width / cand)) % kTileSide == 0) {
      tp = cand;
      break;
    }
  }
  if (tp == 0) return false;
  int64_t bk = dividing_step(extent_of(sch, loops[4]), 8);
  std::string out = node->writes[0].buffer.name();
  return attempt_all(sch, [&](IRSchedule& s) {
    auto l = s.get_loops(r);
    auto fs = s.split(l[1], {-1, kTileSide, tf});
    auto xs = s.split(l[3], {-1, tp});
    auto cs = s.split(l[4], {-1, bk});
    // n, y, x-runs fused: the positions; kTileSide of them per block.
    s.reorder({l[0], l[2], xs[0], fs[0], fs[1], cs[0], cs[1], l[5], l[6], fs[2], xs[1]});
    LoopRV q = s.fuse({l[0], l[2], xs[0]});
    auto qs = s.split(q, {-1, kTileSide});
    s.reorder({fs[0], qs[0], fs[1], qs[1]});
    LoopRV t = s.fuse({fs[1], qs[1]});
    s.bind(qs[0], "blockIdx.x");
    s.bind(fs[0], "blockIdx.y");
    s.bind(t, "threadIdx.x");
    register_tile(s, r, out, t, cs[0]);
    BlockRV wc = s.cache_read(r, weight, ir::MemoryScope::kShared);
    s.compute_at(wc, cs[0]);
    cooperative_load(s, wc, cs[0], kTileThreads);
    auto rl = s.get_loops(r);
    for (size_t d = rl.size() - 4; d < rl.size(); ++d) {
      if (extent_of(s, rl[d]) > 1) s.unroll(rl[d]);
    }
  });
}

}  // namespace

CudaScheduleParams cuda_schedule_params(const ScheduleParams& params) {
  CudaScheduleParams p;
  p.threads = schedule_param(params, "threads");
  p.matmul_tm = schedule_param(params, "matmul_tm");
  p.matmul_tn = schedule_param(params, "matmul_tn");
  p.matmul_bk = schedule_param(params, "matmul_bk");
  p.conv_tf = schedule_param(params, "conv_tf");
  p.conv_tp = schedule_param(params, "conv_tp");
  p.vector_bytes = schedule_param(params, "vector_bytes");
  p.row_cache_kb = schedule_param(params, "row_cache_kb");
  return p;
}

std::vector<TuningKnob> cuda_tuning_knobs(KernelKind kind) {
  std::vector<TuningKnob> knobs = {{"threads", {64, 128, 256, 512, 1024}, "threads per block"},
                                   {"vector_bytes", {4, 8, 16}, "elementwise: bytes per thread, load and store (16: uint4)"},
                                   {"row_cache_kb", {1, 16, 48}, "softmax / norms: KB of a row's inputs kept in registers"}};
  if (kind == KernelKind::kOutFusible) {
    knobs.push_back({"matmul_tm", {1, 2, 4, 8}, "matmul: output rows per thread"});
    knobs.push_back({"matmul_tn", {1, 2, 4, 8}, "matmul: output columns per thread"});
    knobs.push_back({"matmul_bk", {4, 8, 16, 32}, "matmul: reduction step loaded into shared memory"});
    knobs.push_back({"conv_tf", {1, 2, 4, 8}, "conv2d: output channels per thread"});
    knobs.push_back({"conv_tp", {1, 2, 4, 7, 8}, "conv2d: output columns per thread"});
  }
  return knobs;
}

void schedule_cuda(IRSchedule& sch, KernelKind kind, const common::Target& target,
                   const CudaScheduleParams& params) {
  int64_t max_threads = target.max_threads_per_block > 0 ? target.max_threads_per_block : 1024;
  int64_t threads = std::min<int64_t>(params.threads > 0 ? params.threads : 256, max_threads);

  // 1. Inline intermediate spatial blocks into their consumers. A convolution's zero-padded
  //    input (a staging block) stays its own nest for the tiled template, which then reads
  //    it without bounds checks; it is inlined too when the template does not apply.
  auto is_padding = [&](const ir::ScheduleBlock* node) {
    auto it = node->annotations.find(ir::kStagingAnnotation);
    return kind == KernelKind::kOutFusible && it != node->annotations.end() && it->second == "zero padding";
  };
  inline_intermediates(sch, is_padding);
  std::vector<BlockRV> blocks = sch.get_all_blocks();
  if (blocks.empty()) return;

  // 2. A matmul: shared-memory and register tiles; other nests of the kernel on their own.
  if (kind == KernelKind::kOutFusible) {
    bool tiled = false;
    std::vector<std::string> reductions;
    for (BlockRV b : blocks) {
      if (is_reduction(sch.block_node(b))) reductions.push_back(sch.block_name(b));
    }
    for (const std::string& name : reductions) {
      auto names = sch.block_names();
      if (std::find(names.begin(), names.end(), name) == names.end()) continue;
      BlockRV b = sch.get_block(name);
      if (schedule_matmul_tiled(sch, b, params) || schedule_conv_tiled(sch, b, params)) tiled = true;
    }
    if (!tiled) {
      for (BlockRV b : sch.get_all_blocks()) {
        if (is_padding(sch.block_node(b))) attempt([&] { sch.compute_inline(b); });
      }
      blocks = sch.get_all_blocks();
    }
    if (tiled) {
      for (BlockRV b : sch.get_all_blocks()) {
        bool bound = false;
        for (LoopRV l : sch.get_loops(b)) bound = bound || ir::is_gpu_kind(sch.loop_node(l)->for_kind);
        if (!bound) bind_leading(sch, b, static_cast<size_t>(num_spatial(sch.block_node(b))), threads);
      }
      return;
    }
  }

  // 3. Kernels computed per iteration of the leading loops of their last block: a thread
  //    block per row when rows are long, else a thread per row.
  if (size_t depth = common_leading_depth(sch)) {
    if (compute_at_last(sch, depth)) {
      int64_t row_bytes = params.row_cache_kb > 0 ? params.row_cache_kb * 1024 : kRowCacheBytes;
      if (schedule_rows_across_threads(sch, depth, threads, row_bytes)) return;
      bind_leading(sch, sch.get_all_blocks().back(), depth, threads);
      return;
    }
    blocks = sch.get_all_blocks();
  }

  // 4. Every nest on its own: its spatial loops bound.
  for (BlockRV b : blocks) {
    if (schedule_update(sch, b, threads)) continue;
    const ir::ScheduleBlock* node = sch.block_node(b);
    if (is_reduction(node) && schedule_two_stage_reduction(sch, b, threads)) continue;
    if (is_reduction(node) && schedule_block_reduction(sch, b, threads)) continue;
    int64_t vector_bytes = params.vector_bytes > 0 ? params.vector_bytes : kVectorBytes;
    if (schedule_vectorized_spatial(sch, b, threads, vector_bytes)) continue;
    bind_leading(sch, b, static_cast<size_t>(num_spatial(node)), threads);
  }
}

}  // namespace cinn::backends::cuda
