// The thread pool behind parallel loops.
//
// Generated code calls `cinn_parallel_for(n, body, closure)`; the pool splits [0, n) into
// one contiguous block per thread, as static scheduling would (OpenMP's default), the
// calling thread taking the first, and each block into 4 chunks: every thread runs
// body(begin, end, closure) on its own block's chunks in order, then takes the chunks
// the others have not started (a thread whose core is busy elsewhere no longer holds the
// loop up). Nested parallel loops run serially on the thread that reaches them. Workers
// that finish a loop, and the caller waiting for them, spin briefly (50 us) before
// blocking, since a kernel's loops come back to back. The pool is sized to the hardware
// threads; `set_num_threads` changes it (0 = one per hardware thread; at most 1024).
#pragma once

#include <cstdint>

extern "C" {
typedef void (*cinn_parallel_body_t)(int64_t begin, int64_t end, void* closure);
void cinn_parallel_for(int64_t n, cinn_parallel_body_t body, void* closure);
}

namespace cinn::runtime {

void set_num_threads(int n);
int num_threads();

}  // namespace cinn::runtime
