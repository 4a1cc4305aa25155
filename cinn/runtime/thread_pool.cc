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
    size_ = n;
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
    int chunks = static_cast<int>(std::min<int64_t>(size_, n));
    {
      std::lock_guard<std::mutex> lk(mu_);
      task_ = {n, chunks, body, closure};
      pending_.store(chunks - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    tls_in_parallel = true;
    run_chunk(task_, 0);
    tls_in_parallel = false;
    if (spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) return;
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_.load(std::memory_order_acquire) == 0; });
  }

 private:
  struct Task {
    int64_t n = 0;
    int chunks = 0;
    cinn_parallel_body_t body = nullptr;
    void* closure = nullptr;
  };

  ThreadPool() {
    size_ = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    start_workers();
  }
  ~ThreadPool() { stop_workers(); }

  static void run_chunk(const Task& t, int c) {
    int64_t begin = t.n * c / t.chunks;
    int64_t end = t.n * (c + 1) / t.chunks;
    if (begin < end) t.body(begin, end, t.closure);
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
      if (id >= task_.chunks) continue;
      Task task = task_;
      lk.unlock();
      run_chunk(task, id);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> done(mu_);
        done_cv_.notify_one();
      }
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
  std::atomic<int> pending_{0};
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
