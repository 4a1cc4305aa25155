// IRSchedule: the one scheduling system (DESIGN.md, "One scheduling system").
//
// A schedule owns a LoweredFunc and transforms it in place with primitives. Loops are named
// by LoopRV handles ("random variables" in TVM's terms): get_loops and split/fuse return
// new handles, and every primitive appends one step to a Trace whose handles are plain
// integers, so a trace serializes to JSON and replays on a freshly lowered function to
// structurally identical IR. Every primitive checks its preconditions and throws
// ScheduleError naming the offending loop.
//
// This first version has the loop primitives (split, fuse, reorder, parallel, vectorize,
// unroll); the block primitives (compute_at, cache_read, rfactor, ...) extend the same
// class.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cinn/ir/lowered_func.h"

namespace cinn::ir {

struct LoopRV {
  uint64_t schedule = 0;  // id of the schedule that made it
  int id = -1;
};

struct TraceStep {
  std::string kind;             // "get_loops", "split", ...
  std::vector<int> inputs;      // LoopRV ids consumed
  std::vector<int> outputs;     // LoopRV ids produced
  std::vector<int64_t> ints;    // integer attributes (split factors)
  std::string str;              // string attribute (block name)
};

struct Trace {
  std::vector<TraceStep> steps;
  std::string to_json() const;
  // Throws ScheduleError on malformed input.
  static Trace from_json(const std::string& json);
};

class IRSchedule {
 public:
  explicit IRSchedule(LoweredFunc f);

  const LoweredFunc& func() const { return func_; }
  const Trace& trace() const { return trace_; }
  uint64_t id() const { return id_; }

  std::vector<std::string> block_names() const;
  // The loops enclosing block `name`, outermost first.
  std::vector<LoopRV> get_loops(const std::string& block);
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

  // The loop variable a handle currently names (for printing).
  Expr loop_var(LoopRV loop) const;

  // Applies a trace to a freshly lowered function.
  static IRSchedule replay(LoweredFunc f, const Trace& trace);

 private:
  LoopRV new_rv(const Expr& var);
  const For* lookup(LoopRV loop, const char* primitive) const;
  void set_body(Stmt body);
  void set_kind(LoopRV loop, ForKind kind, const char* primitive);

  LoweredFunc func_;
  Trace trace_;
  uint64_t id_;
  std::map<int, Expr> rvs_;  // LoopRV id -> loop variable
  int next_rv_ = 0;
};

}  // namespace cinn::ir
