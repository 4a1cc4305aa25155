// Loop-level passes run after scheduling, before code generation. backends/build.h lists
// the order in which lower_to_loops runs them (under an ir::PassManager).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "cinn/ir/lowered_func.h"

namespace cinn::ir {

// Replaces every ScheduleBlockRealize by its block's body with the iter_vars substituted by
// their values. A block's `init` is hoisted in front of the outermost loop that only feeds
// the block's reduce iter_vars (so `C = 0` runs once before the k loop), or, when loops are
// interleaved so that no such loop exists, guarded by "every reduce iter_var at its min".
Stmt lower_schedule_blocks(const Stmt& s);

// Lowers reductions across GPU threads, before lower_schedule_blocks. A reduction block
// whose reduce loop `t` is bound to threadIdx.x (IRSchedule::bind checks the form, see
// sched::match_thread_reduction) becomes, inside t:
//   acc = init;  <t's loops and guards> acc = combine(acc, value);
//   out[i] = gpu_block_reduce(combine, acc);   // intrinsics.h
// acc is a local (register) buffer per thread; every thread stores the combined value.
// Other loops are returned unchanged.
Stmt lower_thread_reductions(const Stmt& s);

// GPU functions, after lower_schedule_blocks: shrinks every local and shared temporary to
// the region that one copy serves -- a local buffer is private to a thread, a shared one is
// common to the threads of a block -- so that a schedule can cache_write an accumulator
// tile into registers or cache_read an operand tile into shared memory with the buffers'
// full shapes. Each dimension becomes the extent of the region the accesses touch during
// one iteration of the loops around all of them (the loops bound to blocks, and for local
// buffers those bound to threads, count as around), and its indices are offset by the
// region's start (an expression of those loops' variables). Dimensions whose region is not
// a constant-size box keep their extent.
LoweredFunc compact_gpu_buffers(const LoweredFunc& f);

// GPU functions, after compact_gpu_buffers: a barrier (gpu_sync_threads) wherever the
// threads of a block exchange data through shared memory -- before a statement that reads
// a shared buffer written since the last barrier or writes one read since then,
// and at the end of a loop body whose next iteration would conflict the same way (a tile
// loaded per iteration of a reduction loop). A barrier is only placed where every thread
// reaches it: not under a condition or inside a cooperative loop (ScheduleError there).
Stmt insert_gpu_barriers(const Stmt& s);

// Rewrites n-dimensional Loads/Stores into one row-major index per access.
Stmt flatten_storage(const Stmt& s);

// Turns For loops of kind kVectorized with a constant extent into vector code (Ramp,
// Broadcast, vector Loads/Stores). Run `simplify` afterwards: it folds the widened index
// arithmetic back into Ramps. A loop whose body cannot be widened (a store whose index
// does not depend on the loop variable, a condition that varies across lanes, a nested loop
// whose bounds depend on it) stays a serial loop; `*failed` (if given) reports it.
Stmt vectorize_loops(const Stmt& s, int* failed = nullptr);

// Replaces every loop with constant extent 1 by its body with the loop variable bound to
// the loop's min (substituted, or a LetStmt when the min calls an extern function). Loops
// bound to GPU blocks/threads stay: the binding is what launches the kernel. The scheduler
// wants unit loops (every iter_var has one); code generation does not.
Stmt remove_unit_loops(const Stmt& s);

// Fuses adjacent loops with the same range and kind (the nests of one kernel over one
// domain: the several outputs of a batch-norm gradient, sibling reductions over channels)
// into one loop running both bodies per iteration; the bodies' adjacent loops fuse in turn.
// Legal when nothing the second loop writes is touched by the first, and every buffer the
// first writes and the second reads is written and read at one identical index (after
// renaming the second loop's variables) that uses the loop variable: not an accumulator
// whose reduction runs over this loop (it holds partial sums until the loop ends; reduce
// variables never index a block's output). A lowered spatial block stores each element's
// one value (recomputed copies included), so a read right after the write sees it.
// Loops calling extern functions and GPU-bound loops are left alone. For CPU code: the
// second loop then reads what the first wrote while it is in registers or L1, and one
// parallel loop replaces two.
Stmt fuse_sibling_loops(const Stmt& s);

// Splits a loop whose body is guarded by a condition that holds on a prefix of the loop's
// range into a guard-free main loop over that prefix and a tail that keeps the guard:
//   for xo in [0, (N + 15) / 16) { vectorized for xi in [0, 16) { if (xo*16 + xi < N) S } }
// becomes
//   for xo in [0, N / 16) { vectorized for xi in [0, 16) { S } }
//   for xo in [N / 16, ...) { vectorized for xi in [0, 16) { if (xo*16 + xi < N) S } }
// so that the main part, which runs all full tiles, vectorizes (a guard that varies across
// lanes keeps vectorize_loops from widening a loop). The guard must be a comparison of
// index expressions linear in the loop variable (positive coefficient) whose other terms
// are invariant or inner loop variables with constant ranges; it may not read memory.
// Outermost loops are partitioned first; GPU-bound loops and unit loops are left alone; a
// vectorized loop is partitioned only where both parts keep constant extents. Assumes, like
// IRSchedule::split, that index arithmetic with symbolic sizes does not wrap (see
// loop_partition.cc). Run `simplify` afterwards.
Stmt loop_partition(const Stmt& s);

// Fully unrolls every kUnrolled loop with a constant extent of at most `max_extent`: a
// Block of copies of the body with the loop variable replaced by min, min + 1, ... so that
// the simplifier folds the indices and vectorize_loops sees straight-line code. Longer or
// symbolic kUnrolled loops, and loops whose body allocates a buffer (one stack buffer per
// copy), stay loops; LLVM gets an unroll hint for them (codegen_llvm). Run `simplify`
// afterwards.
constexpr int64_t kMaxUnrollExtent = 64;
Stmt unroll_loops(const Stmt& s, int64_t max_extent = kMaxUnrollExtent);

// Loop-invariant code motion: an expensive expression (a load, a math call, a division by
// a non-constant) that does not change inside a loop is computed once in a LetStmt before
// it. A load is invariant only if no store (or allocation) inside the loop uses the same
// Buffer node; distinct Buffer nodes never alias. Only expressions that every iteration
// evaluates are hoisted, and only out of loops that provably run, so no load or division
// is added that the program would not perform. Run `simplify` afterwards.
Stmt hoist_loop_invariant(const Stmt& s);

// Analysis of a function after the passes above: the (output, input) argument positions
// whose buffers may share memory. The input is only read; they have the same element size
// and count; no store to the output reads the output (an accumulation writes an element
// more than once); and every load of the input is part of the value of a store to the
// output at the very same index, a store that runs once per element (every enclosing loop,
// GPU thread loops included, appears in its index). So each input element is read only to
// compute the output element that replaces it, before that store. (Loads in index
// expressions or guards address other elements and disqualify the input.) The graph
// compiler uses it for buffer reuse and for updating inputs in place.
std::vector<std::pair<int, int>> inplace_arg_pairs(const LoweredFunc& f);

}  // namespace cinn::ir

namespace cinn::ir {

// The same function with every global-scope temporary buffer appended to its arguments
// (as outputs, in temp_buffers order) and its Allocate/Free removed: the caller provides
// that memory (the graph compiler's memory plan). Local and shared buffers stay temps.
LoweredFunc global_temps_to_args(const LoweredFunc& f);

}  // namespace cinn::ir
