#include "cinn/runtime/cuda_emulator.h"

#include <sys/mman.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#include <cstring>
#include <mutex>
#include <sstream>
#include <vector>

#include "cinn/common/error.h"

namespace {

constexpr size_t kStackBytes = 256 * 1024;
constexpr unsigned kWarp = 32;

enum class State : uint8_t { kRunnable, kAtBlockBarrier, kAtWarpBarrier, kDone };

// Execution contexts. On x86-64 a switch saves the callee-saved registers on the old stack
// and swaps stack pointers (a few nanoseconds; ucontext would make two system calls for the
// signal mask on every switch). Elsewhere, ucontext.
#if defined(__x86_64__)
struct Context {
  void* sp = nullptr;
};
extern "C" void cinn_emu_switch_stack(void** save_sp, void* load_sp);
asm(R"(
  .text
  .p2align 4
  .hidden cinn_emu_switch_stack
  .type cinn_emu_switch_stack, @function
cinn_emu_switch_stack:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cinn_emu_switch_stack, .-cinn_emu_switch_stack
)");
void switch_context(Context* from, Context* to) { cinn_emu_switch_stack(&from->sp, to->sp); }
// The first switch to `c` enters `entry`, which must never return.
void init_context(Context* c, char* stack, size_t bytes, void (*entry)()) {
  auto* top = reinterpret_cast<uintptr_t*>(reinterpret_cast<uintptr_t>(stack + bytes) & ~uintptr_t{15});
  *--top = 0;                                    // entry's (never used) return address
  *--top = reinterpret_cast<uintptr_t>(entry);  // where the switch's `ret` goes
  for (int i = 0; i < 6; ++i) *--top = 0;        // rbp, rbx, r12-r15
  c->sp = top;
}
#else
struct Context {
  ucontext_t uc;
};
void switch_context(Context* from, Context* to) { swapcontext(&from->uc, &to->uc); }
// getcontext returns twice (like setjmp): kept out of functions with loop state.
__attribute__((noinline)) void init_context(Context* c, char* stack, size_t bytes, void (*entry)()) {
  getcontext(&c->uc);
  c->uc.uc_stack.ss_sp = stack;
  c->uc.uc_stack.ss_size = bytes;
  c->uc.uc_link = nullptr;
  makecontext(&c->uc, entry, 0);
}
#endif

struct Fiber {
  Context ctx;
  State state = State::kRunnable;
  cinn_emu_dim3 tid{0, 0, 0};
};

// Stacks of the fibers, kept between launches (mapped lazily by the kernel).
struct Stacks {
  char* base = nullptr;
  size_t count = 0;
  ~Stacks() {
    if (base) munmap(base, count * kStackBytes);
  }
  char* get(size_t i, size_t n) {
    if (n > count) {
      if (base) munmap(base, count * kStackBytes);
      void* p = mmap(nullptr, n * kStackBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
      if (p == MAP_FAILED) {
        base = nullptr;
        count = 0;
        CINN_THROW(ExecutionError) << "CUDA emulator: cannot map stacks for " << n << " threads";
      }
      base = static_cast<char*>(p);
      count = n;
    }
    return base + i * kStackBytes;
  }
};

struct Launch {
  cinn_emu_kernel_t kernel = nullptr;
  void* const* args = nullptr;
  int nargs = 0;
  const int64_t* sizes = nullptr;
  cinn_emu_dim3 grid{1, 1, 1}, block{1, 1, 1}, block_idx{0, 0, 0}, thread_idx{0, 0, 0};
  bool fibers = false;
  std::vector<Fiber> threads;
  size_t current = 0;
  Context scheduler;
  std::vector<uint64_t> slots;  // shuffle exchange, one per thread
  // The first misaligned vector move, reported when the launch ends: fibers cannot throw
  // (their stacks have no frame to unwind into).
  std::string misaligned;
};

thread_local Launch* tl_launch = nullptr;
std::mutex launch_mu;  // __shared__ arrays are statics of the kernel: one launch at a time
Stacks stacks;

Launch& active(const char* what) {
  if (!tl_launch) {
    CINN_THROW(ExecutionError) << "CUDA emulator: " << what << " called outside a kernel launch";
  }
  return *tl_launch;
}

[[noreturn]] void fiber_main() {
  Launch& l = *tl_launch;
  l.kernel(l.args, l.sizes);
  l.threads[l.current].state = State::kDone;
  switch_context(&l.threads[l.current].ctx, &l.scheduler);  // never resumed
  __builtin_unreachable();
}

// Suspends the running fiber in `state`; returns when the scheduler resumes it.
void suspend(Launch& l, State state) {
  Fiber& f = l.threads[l.current];
  f.state = state;
  switch_context(&f.ctx, &l.scheduler);
  l.thread_idx = f.tid;
}

std::string dim_string(const cinn_emu_dim3& d) {
  std::ostringstream os;
  os << "(" << d.x << ", " << d.y << ", " << d.z << ")";
  return os.str();
}

// Runs the threads of the current block as fibers until all are done.
void run_block_fibers(Launch& l) {
  size_t n = l.threads.size();
  for (size_t i = 0; i < n; ++i) {
    l.threads[i].state = State::kRunnable;
    init_context(&l.threads[i].ctx, stacks.get(i, n), kStackBytes, fiber_main);
  }
  bool descending = (l.block_idx.x + l.block_idx.y + l.block_idx.z) % 2 == 1;
  for (;;) {
    for (size_t k = 0; k < n; ++k) {
      size_t i = descending ? n - 1 - k : k;
      if (l.threads[i].state != State::kRunnable) continue;
      l.current = i;
      l.thread_idx = l.threads[i].tid;
      switch_context(&l.scheduler, &l.threads[i].ctx);
    }
    size_t done = 0, at_block = 0, at_warp = 0;
    for (const Fiber& f : l.threads) {
      done += f.state == State::kDone;
      at_block += f.state == State::kAtBlockBarrier;
      at_warp += f.state == State::kAtWarpBarrier;
    }
    if (done == n) return;
    // A warp whose live threads all wait at a shuffle goes on.
    bool released = false;
    for (size_t w = 0; w < n; w += kWarp) {
      size_t live = 0, waiting = 0;
      for (size_t i = w; i < std::min(n, w + kWarp); ++i) {
        live += l.threads[i].state != State::kDone;
        waiting += l.threads[i].state == State::kAtWarpBarrier;
      }
      if (live > 0 && waiting == live) {
        for (size_t i = w; i < std::min(n, w + kWarp); ++i) {
          if (l.threads[i].state == State::kAtWarpBarrier) l.threads[i].state = State::kRunnable;
        }
        released = true;
      }
    }
    if (released) continue;
    if (at_warp == 0 && at_block == n) {
      for (Fiber& f : l.threads) f.state = State::kRunnable;
      continue;
    }
    std::ostringstream why;
    why << "CUDA emulator: block " << dim_string(l.block_idx) << " deadlocks: of " << n << " threads, "
        << at_block << " wait at __syncthreads, " << at_warp << " at a warp shuffle and " << done
        << " have exited (a barrier must be reached by every thread of the block, a shuffle by every "
           "thread of the warp)";
    CINN_THROW(ExecutionError) << why.str();
  }
}

}  // namespace

extern "C" {

void cinn_emu_launch_kernel(cinn_emu_kernel_t kernel, void* const* args, int nargs, const int64_t* sizes,
                            const int64_t* grid, const int64_t* block, int barriers) {
  for (int a = 0; a < 3; ++a) {
    if (grid[a] < 1 || block[a] < 1 || grid[a] > (int64_t{1} << 31) || block[a] > 1024) {
      CINN_THROW(ExecutionError) << "CUDA emulator: invalid launch shape: grid (" << grid[0] << ", "
                                       << grid[1] << ", " << grid[2] << "), block (" << block[0] << ", "
                                       << block[1] << ", " << block[2] << ")";
    }
  }
  std::lock_guard<std::mutex> lock(launch_mu);
  Launch l;
  l.kernel = kernel;
  l.args = args;
  l.nargs = nargs;
  l.sizes = sizes;
  l.grid = {unsigned(grid[0]), unsigned(grid[1]), unsigned(grid[2])};
  l.block = {unsigned(block[0]), unsigned(block[1]), unsigned(block[2])};
  l.fibers = barriers != 0;
  size_t n = size_t(block[0]) * size_t(block[1]) * size_t(block[2]);
  l.threads.resize(n);
  l.slots.resize(n);
  for (unsigned z = 0, i = 0; z < l.block.z; ++z) {
    for (unsigned y = 0; y < l.block.y; ++y) {
      for (unsigned x = 0; x < l.block.x; ++x) l.threads[i++].tid = {x, y, z};
    }
  }
  struct Restore {
    Launch* prev = tl_launch;
    ~Restore() { tl_launch = prev; }
  } restore;
  tl_launch = &l;
  for (unsigned bz = 0; bz < l.grid.z; ++bz) {
    for (unsigned by = 0; by < l.grid.y; ++by) {
      for (unsigned bx = 0; bx < l.grid.x; ++bx) {
        l.block_idx = {bx, by, bz};
        if (l.fibers) {
          run_block_fibers(l);
          continue;
        }
        for (size_t i = 0; i < n; ++i) {
          l.current = i;
          l.thread_idx = l.threads[i].tid;
          kernel(args, sizes);
        }
      }
    }
  }
  if (!l.misaligned.empty()) CINN_THROW(ExecutionError) << l.misaligned;
}

const cinn_emu_dim3* cinn_emu_thread_idx(void) { return &active("threadIdx").thread_idx; }
const cinn_emu_dim3* cinn_emu_block_idx(void) { return &active("blockIdx").block_idx; }
const cinn_emu_dim3* cinn_emu_block_dim(void) { return &active("blockDim").block; }
const cinn_emu_dim3* cinn_emu_grid_dim(void) { return &active("gridDim").grid; }

void cinn_emu_syncthreads(void) {
  Launch& l = active("__syncthreads");
  if (!l.fibers) {
    CINN_THROW(ExecutionError) << "CUDA emulator: __syncthreads in a kernel launched without barriers";
  }
  suspend(l, State::kAtBlockBarrier);
}

void cinn_emu_warp_shuffle(void* value, int bytes, int kind, int arg, int width) {
  Launch& l = active("a warp shuffle");
  if (!l.fibers) {
    CINN_THROW(ExecutionError) << "CUDA emulator: a warp shuffle in a kernel launched without barriers";
  }
  if (bytes < 1 || bytes > 8 || width < 1 || width > int(kWarp) || (width & (width - 1)) != 0) {
    CINN_THROW(ExecutionError) << "CUDA emulator: warp shuffle of " << bytes << " bytes, width " << width;
  }
  size_t me = l.current;
  std::memcpy(&l.slots[me], value, size_t(bytes));
  suspend(l, State::kAtWarpBarrier);  // every lane has published its value
  unsigned lane = unsigned(me % kWarp), seg = lane - lane % unsigned(width);
  long src = long(lane);
  switch (kind) {
    case 0: src = long(seg) + (arg % width + width) % width; break;
    case 1: src = long(lane) - arg; break;
    case 2: src = long(lane) + arg; break;
    case 3: src = long(lane ^ unsigned(arg)); break;
    default: break;
  }
  if (src < long(seg) || src >= long(seg) + width) src = long(lane);
  size_t from = me - lane + size_t(src);
  uint64_t got = 0;
  std::memcpy(&got, &l.slots[from < l.threads.size() ? from : me], size_t(bytes));
  suspend(l, State::kAtWarpBarrier);  // every lane has read before any publishes again
  std::memcpy(value, &got, size_t(bytes));
}

void cinn_emu_move_vector(void* dst, const void* src, int bytes) {
  Launch& l = active("a vector move");
  auto aligned = [&](const void* p) {
    auto a = reinterpret_cast<uintptr_t>(p);
    if (a % unsigned(bytes) == 0) return true;
    // Inside an argument that itself starts misaligned (a host array the GPU would get as an
    // aligned copy): aligned relative to its start. The argument is the one starting
    // closest below the address (sizes are not known here: an address aligned in absolute
    // terms inside such an argument also passes, so the check is exact for aligned arrays).
    uintptr_t nearest = 0;
    for (int i = 0; i < l.nargs; ++i) {
      auto base = reinterpret_cast<uintptr_t>(l.args[i]);
      if (base <= a && base > nearest) nearest = base;
    }
    return nearest % unsigned(bytes) != 0 && (a - nearest) % unsigned(bytes) == 0;
  };
  bool dst_ok = aligned(dst), src_ok = aligned(src);
  if ((!dst_ok || !src_ok) && l.misaligned.empty()) {
    std::ostringstream why;
    why << "CUDA emulator: thread " << dim_string(l.thread_idx) << " of block " << dim_string(l.block_idx)
        << " makes a " << bytes << "-byte vector " << (src_ok ? "store to" : "load from") << " address 0x" << std::hex
        << reinterpret_cast<uintptr_t>(src_ok ? dst : src) << std::dec << ", which is not a multiple of " << bytes
        << " (on a GPU: a 'misaligned address' fault)";
    l.misaligned = why.str();
  }
  std::memcpy(dst, src, size_t(bytes));
}

}  // extern "C"
