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

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <vector>

extern "C" {
typedef void (*cinn_parallel_body_t)(int64_t begin, int64_t end, void* closure);
void cinn_parallel_for(int64_t n, cinn_parallel_body_t body, void* closure);
}

namespace cinn::runtime {

void set_num_threads(int n);
int num_threads();

// Runs f(i) for every i in [0, n) on the pool's threads, each thread taking the next i
// (for work items of very different costs: the kernels of a program at compile time). The
// exception of the first failing i is rethrown, as a serial loop would have thrown it.
template <typename F>
void parallel_each(size_t n, F f) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  auto drain = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        f(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, num_threads())));
  if (threads <= 1) {
    drain();
  } else {
    using Drain = decltype(drain);
    cinn_parallel_for(static_cast<int64_t>(threads), [](int64_t, int64_t, void* d) { (*static_cast<Drain*>(d))(); },
                      &drain);
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace cinn::runtime
