#include "cinn/runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace cinn::runtime {
namespace {

thread_local bool tls_in_parallel = false;

class ThreadPool {
 public:
  static ThreadPool& get() {
    static ThreadPool pool;
    return pool;
  }

  void resize(int n) {
    std::lock_guard<std::mutex> run(run_mu_);
    stop_workers();
    if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    size_ = std::min(n, kMaxThreads);
    start_workers();
  }
  int size() const { return size_; }

  void run(int64_t n, cinn_parallel_body_t body, void* closure) {
    if (n <= 0) return;
    if (tls_in_parallel || size_ == 1 || n == 1) {
      body(0, n, closure);
      return;
    }
    std::lock_guard<std::mutex> run(run_mu_);  // one parallel region at a time
    Task t;
    {
      std::lock_guard<std::mutex> lk(mu_);
      t.generation = (generation_.load(std::memory_order_relaxed) + 1) & kGenerationMask;
      t.n = n;
      t.chunks = std::min<int64_t>(n, int64_t{size_} * kChunksPerThread);
      t.blocks = static_cast<int>(std::min<int64_t>(size_, t.chunks));  // threads beyond sit out
      t.body = body;
      t.closure = closure;
      for (int b = 0; b < t.blocks; ++b) {
        next_[b].value.store(pack(t.generation, t.block_begin(b)), std::memory_order_relaxed);
      }
      done_.store(0, std::memory_order_relaxed);
      task_ = t;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    tls_in_parallel = true;
    work(t, 0);
    tls_in_parallel = false;
    auto finished = [&] { return done_.load(std::memory_order_acquire) == t.chunks; };
    if (spin_until(finished)) return;
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, finished);
  }

 private:
  // Each thread's share of a loop is cut into this many chunks: a thread that finishes its
  // own takes the remaining chunks of the others (a thread whose core is busy with another
  // process, or with a framework's spinning threads, would otherwise hold the whole loop up:
  // 2x on 2 cores with one core busy).
  static constexpr int64_t kChunksPerThread = 4;
  static constexpr int kMaxThreads = 1024;
  // A block's next chunk is packed with the task's generation (its low 40 bits) in one
  // word: chunk indices stay below kMaxThreads * kChunksPerThread < 2^24.
  static constexpr int kChunkBits = 24;
  static constexpr uint64_t kGenerationMask = (uint64_t{1} << (64 - kChunkBits)) - 1;
  static_assert(kMaxThreads * kChunksPerThread < (int64_t{1} << kChunkBits));

  struct Task {
    uint64_t generation = 0;
    int64_t n = 0;
    int64_t chunks = 0;  // chunk c is iterations [n c / chunks, n (c + 1) / chunks)
    int blocks = 0;      // thread b's chunks are [block_begin(b), block_begin(b + 1))
    cinn_parallel_body_t body = nullptr;
    void* closure = nullptr;
    int64_t block_begin(int b) const { return chunks * b / blocks; }
  };

  // The next chunk of a block, tagged with the task's generation: a worker still holding a
  // finished task cannot take a chunk index of the next one.
  static uint64_t pack(uint64_t generation, int64_t chunk) {
    return (generation << kChunkBits) | static_cast<uint64_t>(chunk);
  }

  ThreadPool() {
    size_ = std::min(kMaxThreads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    start_workers();
  }
  ~ThreadPool() { stop_workers(); }

  // The next chunk of block b of task t, or -1 when it has none left (or t is over).
  int64_t take(const Task& t, int b) {
    std::atomic<uint64_t>& next = next_[b].value;
    uint64_t cur = next.load(std::memory_order_acquire);
    int64_t end = t.block_begin(b + 1);
    for (;;) {
      if ((cur >> kChunkBits) != t.generation) return -1;
      int64_t c = static_cast<int64_t>(cur & ((uint64_t{1} << kChunkBits) - 1));
      if (c >= end) return -1;
      if (next.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel)) return c;
    }
  }

  // Thread `self` runs its own block's chunks in order (the contiguous range static
  // scheduling would give it, so consecutive loops over the same data keep it in this
  // core's cache), then helps with the other blocks.
  void work(const Task& t, int self) {
    for (int k = 0; k < t.blocks; ++k) {
      int b = (self + k) % t.blocks;
      for (int64_t c; (c = take(t, b)) >= 0;) {
        int64_t begin = t.n * c / t.chunks, end = t.n * (c + 1) / t.chunks;
        if (begin < end) t.body(begin, end, t.closure);
        if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == t.chunks) {
          std::lock_guard<std::mutex> lk(mu_);
          done_cv_.notify_one();
        }
      }
    }
  }

  // Kernels run their parallel loops back to back: a worker that has finished a loop, and
  // the caller waiting for the workers, spin for up to kSpin before blocking, so the next
  // loop or the end of this one is seen without a futex wake-up (tens of microseconds on
  // a virtual machine; a batch-norm kernel of eleven small loops paid it eleven times).
  template <typename Ready>
  static bool spin_until(Ready ready) {
    constexpr auto kSpin = std::chrono::microseconds(50);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
      if (ready()) return true;
      if ((i & 63) == 63 && std::chrono::steady_clock::now() - start > kSpin) return false;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }

  // `seen`: the task generation when the worker was started (under run_mu_, so no task is
  // being posted): a worker started by resize() must not take the last task, long done,
  // for a new one.
  void worker(int id, uint64_t seen) {
    tls_in_parallel = true;
    for (;;) {
      spin_until([&] { return stop_.load(std::memory_order_acquire) ||
                              generation_.load(std::memory_order_acquire) != seen; });
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_.load() || generation_.load() != seen; });
      if (stop_) return;
      seen = generation_.load();
      Task task = task_;
      lk.unlock();
      if (id < task.blocks) work(task, id);
    }
  }

  void start_workers() {
    stop_ = false;
    uint64_t generation = generation_.load();
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i, generation] { worker(i, generation); });
  }
  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  Task task_;  // written under mu_ before generation_ moves on
  struct alignas(64) Counter {  // one cache line each: threads take chunks without sharing one
    std::atomic<uint64_t> value{0};
  };
  Counter next_[kMaxThreads];
  std::atomic<int64_t> done_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  int size_ = 1;
};

}  // namespace

void set_num_threads(int n) { ThreadPool::get().resize(n); }
int num_threads() { return ThreadPool::get().size(); }

}  // namespace cinn::runtime

extern "C" void cinn_parallel_for(int64_t n, cinn_parallel_body_t body, void* closure) {
  cinn::runtime::ThreadPool::get().run(n, body, closure);
}
