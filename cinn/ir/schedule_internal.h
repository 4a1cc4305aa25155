// Tree surgery and queries shared by the schedule primitives (not part of the public API).
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "cinn/ir/interval.h"
#include "cinn/ir/lowered_func.h"
#include "cinn/ir/substitute.h"

namespace cinn::ir::sched {

// A block and where it sits: the For and IfThenElse nodes around it, outermost first.
struct BlockSite {
  const ScheduleBlockRealize* realize = nullptr;
  const ScheduleBlock* block = nullptr;
  std::vector<const StmtNode*> path;
  std::vector<const For*> loops() const;
};

// Every block, in program order.
std::vector<BlockSite> all_blocks(const Stmt& root);
// The block named `name`; throws ScheduleError (naming `primitive`) if there is none.
BlockSite find_block(const Stmt& root, const std::string& name, const char* primitive);
const For* find_loop(const Stmt& root, const Expr& var);
// Whether `inner` is `outer` or nested in it.
bool contains(const Stmt& outer, const IRNode* inner);

// "loop 'i' (for i in [0, 0 + 64))".
std::string loop_desc(const For* f);

// The tree with the node `target` replaced by `with` (by identity).
Stmt replace_stmt(const Stmt& root, const IRNode* target, const Stmt& with);
// The tree with `target` removed; loops, branches and sequences left empty go too.
Stmt remove_stmt(const Stmt& root, const IRNode* target);
// The tree with `s` inserted right before (or after) `anchor` in the sequence holding it.
Stmt insert_stmt(const Stmt& root, const IRNode* anchor, const Stmt& s, bool after);
// `s` prepended (or appended) to a loop's body.
Stmt add_to_loop_body(const Stmt& root, const For* loop, const Stmt& s, bool at_end);
// A sequence: nested sequences are spliced, empty statements dropped, one statement stays
// itself.
Stmt make_seq(const std::vector<Stmt>& stmts);
bool is_empty_stmt(const Stmt& s);

// A block with its read and write regions recomputed from its body and init: each distinct
// access as a point; loads of the buffers the block writes are not reads (a reduction's
// accumulator).
Stmt make_block(const ScheduleBlock* like, std::vector<IterVar> iter_vars, Stmt init,
                Stmt body, const std::string& name = "");

// Buffers.
Buffer find_buffer(const LoweredFunc& f, const std::string& name, const char* primitive);
bool is_argument(const LoweredFunc& f, const Buffer& b);
bool is_temp(const LoweredFunc& f, const Buffer& b);
// Adds an intermediate buffer (allocated at the start of the body, freed at the end).
LoweredFunc add_temp_buffer(const LoweredFunc& f, const Buffer& b);
// Drops an intermediate buffer nothing accesses any more.
LoweredFunc remove_temp_buffer(const LoweredFunc& f, const Buffer& b);
// Maps the indices of an access (empty: keep them).
using IndexMap = std::function<std::vector<Expr>(const std::vector<Expr>&)>;
// Moves every access of `from` inside `s` to `to` (allocations too), with the indices mapped;
// the blocks that change get fresh regions.
Stmt rewrite_accesses(const Stmt& s, const Buffer& from, const Buffer& to,
                      const IndexMap& index_fn = {});
// The same over a whole function, including its list of intermediate buffers.
LoweredFunc replace_buffer(const LoweredFunc& f, const Buffer& from, const Buffer& to,
                           const IndexMap& index_fn = {});
// A name no block (or buffer) of the function has yet: base, base_1, base_2...
std::string fresh_block_name(const LoweredFunc& f, const std::string& base);
std::string fresh_buffer_name(const LoweredFunc& f, const std::string& base);

// Blocks that write / read a buffer.
std::vector<BlockSite> writers_of(const Stmt& root, const Buffer& b);
std::vector<BlockSite> readers_of(const Stmt& root, const Buffer& b);

// A reduction update `out[idx] = combine(out[idx], value)`, possibly under a `where` guard.
struct ReductionUpdate {
  const Store* store = nullptr;
  Expr guard;  // undefined when unguarded
  NodeKind combiner;
  Expr value;  // the operand that is not the accumulator
};
// The update of a reduction block (one with an init); ScheduleError naming `primitive`
// when the body is not of that form.
ReductionUpdate match_update(const ScheduleBlock* b, const char* primitive);
// combiner(a, b) for kAdd, kMul, kMax, kMin.
Expr combine(NodeKind combiner, Expr a, Expr b);

// A reduction across the threads of a loop bound to threadIdx.x (lower_thread_reductions).
struct ThreadReduction {
  BlockSite site;  // relative to the loop's body; site.block is null when t reduces nothing
  ReductionUpdate update;
};
// The reduction block whose reduce iter_values loop `t` feeds, checked for what a
// cross-thread reduction needs: t is bound to threadIdx.x with a constant extent that is a
// multiple of 32, holds that block only, the block is a +|*|max|min reduction of
// float32/64 or int32/64 with a one-store init, and its spatial iter_values use only
// loops outside t. ScheduleError naming `primitive` otherwise.
ThreadReduction match_thread_reduction(const For* t, const char* primitive);

// The variables that carry the reduction of the realized block: those its reduce
// iter_values use, except the ones that feed its spatial iter_values affinely. Such a loop
// comes from a spatial axis (a reduce domain that `where` shifted by i: vk = i + k_0 * 4 +
// k_1, or i + k * 3 - (i + 1) % 3 + 2), so it pins the outputs instead of carrying part of
// a reduction. A loop fused from a spatial and a reduce one (vi = f / 13, vk = f % 13)
// does carry part of it.
std::set<const Var*> reduction_vars(const ScheduleBlockRealize* r);
// Blocks under `s` whose reduction the loop variable `var` carries (reduction_vars).
std::vector<BlockSite> blocks_reduced_by(const Stmt& s, const Expr& var);
// The outermost statement of a block's nest: its first loop or branch, or the realize.
const IRNode* nest_root(const BlockSite& site);

// The block's iter_values substituted into its body: the accesses in terms of loop vars.
VarMap block_bindings(const BlockSite& site);

// Ranges of the loop variables of `loops` (bounds of their min/extent over the outer loops).
VarRanges loop_ranges(const std::vector<const For*>& loops);

// One dimension of a region: [min, min + extent). An undefined min means "the whole
// dimension".
struct DimRegion {
  Expr min;
  int64_t extent = 0;
  bool whole() const { return !min.defined(); }
};

// The union of the points an access pattern touches, per dimension (compute_at and
// compact_gpu_buffers): for an index `e`, m = e with the relaxed loops at their minimum and
// [m + min(e - m), m + max(e - m)] over the loop ranges. Accesses whose m differ by a
// non-constant make that dimension whole.
class RegionUnion {
 public:
  explicit RegionUnion(size_t ndim) : base_(ndim), lo_(ndim), hi_(ndim), whole_(ndim) {}
  // Adds the access `idx` (loop-variable indices) made under the loops `relaxed` (those
  // whose iterations the region covers) of the path `all` (every loop around the access).
  void add(const std::vector<Expr>& idx, const std::vector<const For*>& relaxed,
           const std::vector<const For*>& all);
  DimRegion dim(size_t k) const;

 private:
  std::vector<Expr> base_;
  std::vector<int64_t> lo_, hi_;
  std::vector<bool> whole_;
};

}  // namespace cinn::ir::sched
