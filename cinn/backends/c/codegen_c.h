// C source backend: prints lowered functions as one self-contained, readable C99 file
// (it includes only <math.h>, <stdbool.h>, <stdint.h> and <stdlib.h>; link with -lm).
//
// ABI. Every LoweredFunc f becomes an exported function
//
//     void <f.name()>(void** args, const int64_t* sizes);
//
// args[i] is the data pointer of f.args()[i].buffer: a dense row-major array of its dtype
// (bool: one byte per element holding 0 or 1). sizes[k] is the value of f.size_vars()[k].
// The buffers must not overlap, since they are declared `restrict`. Function names must be
// valid C identifiers; they are the exported symbols, so they are never renamed.
//
// What the output means and assumes:
// * Scalar IR. The C backend prints no vector code: a vectorized For is a plain loop left to
//   the C compiler's auto-vectorizer, and vector-typed expressions (Ramp, Broadcast, vector
//   loads/stores) throw UnsupportedOpError. A parallel For runs serially.
// * Integer / and % are floor division and modulo (ir.h), printed as calls of static inline
//   helpers defined at the top of the file; so are integer min/max/abs, so that no operand is
//   evaluated twice. Float min/max are fminf/fmaxf (fmin/fmax for float64).
// * Signed overflow wraps in the IR. Arithmetic on types narrower than int is converted back
//   to its type and wraps; for int32 and int64 C leaves overflow undefined, so compile with
//   -fwrapv where a program may overflow.
// * Intrinsic calls map to libm (c_intrinsics.h); extern calls are called by name and
//   declared from their argument and result types.
// * Temporaries: an Allocate of a kLocal or kShared buffer of constant size up to 64 KiB is a
//   stack array; any other is a heap block (malloc, aborting when memory runs out), freed at
//   its Free or else at the end of the enclosing C block. temp_buffers that the body never
//   Allocates live for the whole call.
// * A ScheduleBlockRealize binds the block's iter_vars as const locals; the block's init runs
//   when every reduce iter_var equals its range's minimum.
// * LetStmt and Let bind const locals; a Let is declared in front of its statement, except in
//   a conditional operand (a Select arm, the right of && or ||), where its value is inlined
//   so that it is only evaluated where the IR evaluates it. Loop bounds are evaluated once.
// * The output compiles without warnings under -std=c99 -Wall -Wextra: unused bindings are
//   dropped (their extern calls kept), and nothing else is printed for pure Evaluates.
// * Names: each binding gets a C identifier derived from its IR name, with a suffix (_1, _2)
//   where that name is already visible or reserved, so different Vars never share a name.
// * float16 / bfloat16 buffers hold the type's bits (cinn_float16 / cinn_bfloat16 structs);
//   values are floats rounded to the type after every operation (c_syntax.h, is_half_type).
// Unsupported: vectors and GPU loop kinds (C dialect), with UnsupportedOpError; the input is
// checked with ir::verify first.
#pragma once

#include <string>
#include <vector>

#include "cinn/ir/gpu_launch.h"
#include "cinn/ir/lowered_func.h"

namespace cinn::backends::c {

std::string codegen_c(const ir::LoweredFunc& f);
std::string codegen_c(const ir::Module& m);

// The printer's two dialects: the C99 file above, or CUDA C for NVRTC (the CUDA backend's
// codegen_cuda.h describes that output). They share everything but the file prologue, the
// function signature, GPU-bound loops and where temporaries live.
// For CUDA, *launch_dims (if given) receives each function's grid and block dimensions.
enum class Dialect { kC, kCUDA };
std::string codegen(const ir::Module& m, Dialect dialect,
                    std::vector<ir::LaunchDims>* launch_dims = nullptr);

}  // namespace cinn::backends::c
