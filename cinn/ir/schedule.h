// IRSchedule: the one scheduling system (DESIGN.md, "One scheduling system").
//
// A schedule owns a LoweredFunc and transforms it in place with primitives. Loops and blocks
// are named by handles ("random variables" in TVM's terms): LoopRV and BlockRV share one
// integer id space. Every primitive checks its preconditions and throws ScheduleError naming
// the offending loop or block, and appends one step to a Trace whose handles are plain
// integers, so a trace serializes to JSON and replays on a freshly lowered function to
// structurally identical IR. Sampling primitives record their decision in the trace, so a
// replay makes the same choices.
//
// The primitives, by file:
//   schedule.cc            handles, get_*, split, fuse, reorder, parallel/vectorize/unroll,
//                          bind, annotate
//   schedule_inline.cc     compute_inline, reverse_compute_inline
//   schedule_compute_at.cc compute_at, reverse_compute_at
//   schedule_cache.cc      cache_read, cache_write, set_scope, layout_transform,
//                          storage_align
//   schedule_reduction.cc  rfactor, decompose_reduction
//   schedule_sample.cc     sample_perfect_tile, sample_categorical
//   trace.cc               JSON and replay
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cinn/ir/lowered_func.h"

namespace cinn::ir {

struct LoopRV {
  uint64_t schedule = 0;  // id of the schedule that made it
  int id = -1;
};

struct BlockRV {
  uint64_t schedule = 0;
  int id = -1;
};

struct TraceStep {
  std::string kind;                 // "get_loops", "split", ...
  std::vector<int> inputs;          // handle ids consumed
  std::vector<int> outputs;         // handle ids produced
  std::vector<int64_t> ints;        // integer attributes and sampling decisions
  std::vector<double> floats;       // probabilities of sample_categorical
  std::vector<std::string> strs;    // names: blocks, buffers, scopes, annotations
};

struct Trace {
  std::vector<TraceStep> steps;
  std::string to_json() const;
  // Throws ScheduleError on malformed input.
  static Trace from_json(const std::string& json);
};

class IRSchedule {
 public:
  // `seed` drives the sampling primitives.
  explicit IRSchedule(LoweredFunc f, uint64_t seed = 0);

  const LoweredFunc& func() const { return func_; }
  const Trace& trace() const { return trace_; }
  uint64_t id() const { return id_; }

  // ---- handles -------------------------------------------------------------------------
  std::vector<std::string> block_names() const;
  BlockRV get_block(const std::string& name);
  // Every block, in program order.
  std::vector<BlockRV> get_all_blocks();
  // The blocks nested under a loop, in program order.
  std::vector<BlockRV> get_child_blocks(LoopRV loop);
  // The loops enclosing a block, outermost first.
  std::vector<LoopRV> get_loops(BlockRV block);
  std::vector<LoopRV> get_loops(const std::string& block);

  // The loop variable / block name a handle currently names.
  Expr loop_var(LoopRV loop) const;
  std::string block_name(BlockRV block) const;
  // Read-only views of what a handle names, for schedule rules that inspect the IR.
  const For* loop_node(LoopRV loop) const { return lookup(loop, "loop_node"); }
  const ScheduleBlock* block_node(BlockRV block) const;
  // The values the block's iter_vars are bound to (in terms of the loop variables).
  std::vector<Expr> block_iter_values(BlockRV block) const;

  // ---- loops ----------------------------------------------------------------------------
  // Splits a loop into nested loops with the given extents, outermost first; one factor may
  // be -1 (inferred). If the factors do not divide the extent, the body is guarded.
  std::vector<LoopRV> split(LoopRV loop, const std::vector<int64_t>& factors);
  // Fuses perfectly nested consecutive loops (outermost first) into one.
  LoopRV fuse(const std::vector<LoopRV>& loops);
  // Reorders loops of one perfect nest into the given order.
  void reorder(const std::vector<LoopRV>& loops);
  void parallel(LoopRV loop);
  void vectorize(LoopRV loop);
  void unroll(LoopRV loop);
  // Binds a loop to a GPU axis: "blockIdx.x|y|z" or "threadIdx.x|y|z". An axis may be bound
  // once per loop nest; the CUDA backend checks the extents against the device. The one
  // exception is a cooperative loop: a loop nested in one bound to the same threadIdx axis,
  // no longer than it, whose blocks only write shared memory; the block's threads share its
  // iterations (thread t runs iteration t). It loads a tile that all of them then read.
  void bind(LoopRV loop, const std::string& thread_axis);
  // Sets a key/value annotation on a block (read by later passes and backends).
  void annotate(BlockRV block, const std::string& key, const std::string& value);

  // ---- blocks ---------------------------------------------------------------------------
  // Inlines a spatial block `T[v...] = f(v...)` writing an intermediate buffer into every
  // reader of T and removes it (and T).
  void compute_inline(BlockRV block);
  // Inlines an elementwise consumer `U[g(v)] = h(T[v...])` into the single producer of T,
  // which then writes U directly; T disappears.
  void reverse_compute_inline(BlockRV block);
  // Moves a producer block to the start of `loop`'s body, computing only the region of its
  // output that the consumers under `loop` read (per iteration of `loop` and the loops
  // around it). Every reader of the output must be under `loop`.
  void compute_at(BlockRV block, LoopRV loop);
  // Moves a consumer block to the end of `loop`'s body (a loop of its producer's nest),
  // computing the outputs that depend on the producer's region written under `loop`.
  void reverse_compute_at(BlockRV block, LoopRV loop);

  // Adds a block that copies `buffer` into a new buffer in `scope` before `block`, which
  // then reads the copy. Returns the copy block (named "<buffer>_<scope>"), e.g. to
  // compute_at it into a tile loop.
  BlockRV cache_read(BlockRV block, const std::string& buffer, MemoryScope scope);
  // The same for several consumers in one loop nest (a row's reductions and its output
  // reading one input): every one of them reads the single copy.
  BlockRV cache_read(const std::vector<BlockRV>& blocks, const std::string& buffer, MemoryScope scope);
  // Makes `block` write a new buffer in `scope` and adds a block that copies it into
  // `buffer` after `block`'s loop nest. Returns the copy block.
  BlockRV cache_write(BlockRV block, const std::string& buffer, MemoryScope scope);
  // Changes the memory scope of an intermediate buffer.
  void set_scope(const std::string& buffer, MemoryScope scope);
  // Rewrites an intermediate buffer into another layout: element `buffer[vars...]` moves to
  // `buffer'[index_map...]`. Each index_map entry is one of the vars `v`, `v // c` or
  // `v % c` (c > 0), and together they must be a one-to-one blocked layout, e.g.
  // (k, n) -> (n // 16, k, n % 16) packs a GEMM operand; (n, c, h, w) -> (n, c // 8, h, w,
  // c % 8) is NCHW8c. To pack a function argument, cache_read it first.
  void layout_transform(const std::string& buffer, const std::vector<Expr>& vars,
                        const std::vector<Expr>& index_map);

  // Pads an intermediate buffer so that the stride of dimension `axis` (in elements) is
  // congruent to `offset` modulo `factor` (e.g. to avoid shared-memory bank conflicts): the
  // extent of dimension axis + 1 grows to the smallest value that achieves it; the padding
  // is never accessed.
  void storage_align(const std::string& buffer, int axis, int64_t factor, int64_t offset);

  // Factors a reduction over `loop` (a loop feeding the block's reduce iter_vars) into a
  // block that accumulates partial results into a new buffer with `loop` as its spatial
  // dimension `factor_axis`, and a block that reduces that buffer into the original output.
  // `loop` is then spatial in the first block: it can be vectorized or parallelized.
  // Returns the partial-result block (named "<block>_rf").
  BlockRV rfactor(LoopRV loop, int factor_axis = -1);
  // Moves a reduction block's init into its own block "<block>_init", placed before `loop`
  // (an ancestor of the block), looping over the spatial loops inside `loop`.
  BlockRV decompose_reduction(BlockRV block, LoopRV loop);

  // ---- sampling (for the auto-scheduler) -------------------------------------------------
  // n factors whose product is the loop's constant extent, innermost at most
  // `max_innermost_factor`, drawn at random (or `decision` if given, which is checked).
  std::vector<int64_t> sample_perfect_tile(LoopRV loop, int n, int64_t max_innermost_factor,
                                           const std::vector<int64_t>& decision = {});
  // One of `candidates`, drawn with `probs` (or candidates[*decision] if given).
  int64_t sample_categorical(const std::vector<int64_t>& candidates,
                             const std::vector<double>& probs,
                             std::optional<int64_t> decision = std::nullopt);

  // Decisions for the next sampling calls, one entry per call in call order (an empty
  // entry, or a call given its own decision: that entry is not used). A decision that does not fit its call (a loop whose extent an
  // earlier changed decision changed) is drawn at random instead. This is how the
  // auto-scheduler re-runs a design space with a parent schedule's decisions, one changed.
  void set_decisions(std::vector<std::vector<int64_t>> decisions) {
    decisions_ = std::move(decisions);
    next_decision_ = 0;
  }
  // The decisions of a trace's sampling steps, in order.
  static std::vector<std::vector<int64_t>> decisions_of(const Trace& trace);

  // Applies a trace to a freshly lowered function.
  static IRSchedule replay(LoweredFunc f, const Trace& trace);

 private:
  LoopRV new_loop_rv(const Expr& var);
  BlockRV new_block_rv(const std::string& name);
  const For* lookup(LoopRV loop, const char* primitive) const;
  std::string lookup(BlockRV block, const char* primitive) const;
  void set_body(Stmt body);
  void set_func(LoweredFunc f);
  void set_kind(LoopRV loop, ForKind kind, const char* primitive);
  void record(TraceStep step) { trace_.steps.push_back(std::move(step)); }

  LoweredFunc func_;
  Trace trace_;
  uint64_t id_;
  std::map<int, Expr> loops_;          // LoopRV id -> loop variable
  std::map<int, std::string> blocks_;  // BlockRV id -> block name
  int next_rv_ = 0;
  std::mt19937_64 rng_;
  std::vector<std::vector<int64_t>> decisions_;  // set_decisions
  size_t next_decision_ = 0;
  // The forced decision of the next sampling call, if any (set_decisions).
  std::vector<int64_t> next_forced_decision() {
    return next_decision_ < decisions_.size() ? decisions_[next_decision_++] : std::vector<int64_t>{};
  }
};

// "global", "shared", "local" -> MemoryScope; throws ScheduleError otherwise.
MemoryScope parse_memory_scope(const std::string& s);

}  // namespace cinn::ir
