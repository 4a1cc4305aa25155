// The math intrinsics the compiler knows (Call nodes of kind kIntrinsic).
//
// Every backend maps each of these names; an unknown name is an UnsupportedOpError raised
// where the call is built, so no backend ever sees one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::ir {

// The argument types an intrinsic accepts. Bool is never accepted.
enum class IntrinsicArgs : uint8_t {
  kFloat,    // floating point only (exp, tanh, ...)
  kNumber,   // floating point or integer (abs, floor, ...)
  kInteger,  // integers only (bitwise_and, shift_left, philox_uniform)
};
// The type of the result (with the arguments' lanes).
enum class IntrinsicResult : uint8_t {
  kArgType,  // the (common) argument type
  kBool,     // isnan, isinf, isfinite
  kFloat32,  // philox_uniform
};

struct IntrinsicInfo {
  const char* name;
  int arity;
  IntrinsicArgs args;
  IntrinsicResult result;
};

// The integer intrinsics: bitwise_and, bitwise_or, bitwise_xor (two's complement bits),
// shift_left, shift_right (the amount must be in [0, bits); right shifts of signed values
// are arithmetic, like numpy's right_shift).
//
// philox_uniform(seed, stream, index): a float32 uniform in [0, 1) from the counter-based
// generator Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011): key = seed (64 bits), counter = (index, stream) (64 bits each, low word first);
// the result is the top 24 bits of the first output word times 2^-24. Same arguments, same
// number, on every backend. The arguments are integers (converted to 64 bits). Backends
// never see it: lower_philox (transforms.h) expands it into integer IR.
inline constexpr const char* kPhiloxUniform = "philox_uniform";

// nullptr if `name` is not an intrinsic.
const IntrinsicInfo* find_intrinsic(const std::string& name);
// The math intrinsics a program may call by name (every intrinsic but kReinterpret).
std::vector<std::string> intrinsic_names();

// Builds Call(name, args) after checking arity and argument types; throws
// UnsupportedOpError for unknown names and DTypeError for bad argument types.
Expr make_intrinsic(const std::string& name, std::vector<Expr> args);

// reinterpret<t>(x): the bits of x read as type t, which must have x's lanes and element
// width (C++20's std::bit_cast, per lane). Not a math function: compiler passes use it to
// take floats apart (lower_math.h), so it is not in intrinsic_names() and make_intrinsic
// rejects it; build it with make_reinterpret.
inline constexpr const char* kReinterpret = "reinterpret";
Expr make_reinterpret(Type t, Expr x);

// GPU built-ins. They are Calls of kind kExtern because they synchronize threads: passes
// treat them as side effects and never move, duplicate or drop them. Only GPU backends see
// them (lower_thread_reductions creates them under loops bound to GPU threads).
//
// gpu_block_reduce(combiner, value): `value` of every thread of the block combined with
// `combiner` (kAdd, kMul, kMax, kMin), returned to every thread. Every thread of the block
// must call it at the same point (not under a condition that differs between threads).
inline constexpr const char* kGpuBlockReducePrefix = "cinn_gpu_block_reduce_";
Expr make_gpu_block_reduce(NodeKind combiner, Expr value);
// True, with the combiner, when `c` is a gpu_block_reduce call.
bool is_gpu_block_reduce(const Call* c, NodeKind* combiner = nullptr);
// The element types a block reduction supports: float32/64, int32/64.
bool gpu_block_reduce_supports(Type t);

// gpu_sync_threads(): a barrier for the threads of a block (CUDA's __syncthreads): what any
// of them wrote to shared memory before it is visible to all of them after it. Every thread
// of the block must reach it. insert_gpu_barriers (transforms.h) places them.
inline constexpr const char* kGpuSyncThreads = "cinn_gpu_sync_threads";
Expr make_gpu_sync_threads();
bool is_gpu_sync_threads(const Call* c);
// A call that synchronizes the threads of a block: a block reduction or a barrier.
bool is_gpu_barrier(const Call* c);

}  // namespace cinn::ir
