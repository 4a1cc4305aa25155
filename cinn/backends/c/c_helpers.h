// Support functions the generated C calls: floor division and modulo, integer min/max/abs
// and heap allocation. Each is defined once, only if the file uses it, as a static inline
// function at the top of the file, so the output stays self-contained and readable.
#pragma once

#include <map>
#include <string>

#include "cinn/common/type.h"
#include "cinn/ir/ir.h"

namespace cinn::backends::c {

class Helpers {
 public:
  // Each returns the helper's name and records that the file needs its definition.
  // a / b rounded towards negative infinity, for int32 and int64 (narrower types promote).
  std::string floordiv(Type t);
  // a - floordiv(a, b) * b: the sign of b, for int32, int64, float32 and float64.
  std::string floormod(Type t);
  // Unsigned a / b and a % b, 0 when b is 0 (as floordiv and floormod), for uint32 and uint64.
  std::string udiv(Type t);
  std::string umod(Type t);
  // min and max (float and double: NaN-propagating, unlike fmin / fmax) and integer abs
  // (|INT_MIN| wraps to INT_MIN, as the IR's arithmetic does).
  std::string min(Type t);
  std::string max(Type t);
  std::string abs(Type t);
  // float16 / bfloat16 (is_half_type): the storage struct (cinn_float16, cinn_bfloat16),
  // its conversions from and to float, and rounding a float to the type.
  std::string half(Type t);
  std::string to_float(Type t);
  std::string from_float(Type t);
  std::string round(Type t);
  // cinn_odd_float(double): a float rounded to odd, for one correct rounding further down.
  std::string odd_float();
  // cinn_malloc(count, elem_bytes): never NULL; aborts when memory runs out, since the kernel
  // ABI has no error channel.
  std::string malloc();
  // CUDA only: the block-wide reduction of a gpu_block_reduce call (ir/intrinsics.h) for
  // combiner kAdd, kMul, kMax or kMin over float32/64 or int32/64: warp shuffles, then
  // one value per warp through shared memory. The block must be a multiple of 32 threads
  // along x, and every thread must call it.
  std::string block_reduce(ir::NodeKind combiner, Type t);

  // The definitions recorded so far, sorted by name; `device` marks them __device__ (CUDA).
  std::string definitions(bool device = false) const;

 private:
  // Records the helper `name` with `definition`, both instantiated for type t.
  std::string add(const char* name, const char* definition, Type t);
  std::map<std::string, std::string> defs_;
};

}  // namespace cinn::backends::c
