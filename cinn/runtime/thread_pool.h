// The thread pool behind parallel loops.
//
// Generated code calls `cinn_parallel_for(n, body, closure)`; the pool splits [0, n) into
// one contiguous chunk per worker (static scheduling, like OpenMP's default) and runs
// body(begin, end, closure) on each, the calling thread taking the first chunk. Nested
// parallel loops run serially on the worker that reaches them. Workers that finish a loop,
// and the caller waiting for them, spin briefly (50 us) before blocking, since a kernel's
// loops come back to back. The pool is sized to the hardware threads; `set_num_threads`
// changes it (0 = one per hardware thread).
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
