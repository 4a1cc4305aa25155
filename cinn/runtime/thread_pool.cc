#include "cinn/runtime/thread_pool.h"

#include <algorithm>
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
      pending_ = chunks - 1;
      ++generation_;
    }
    cv_.notify_all();
    tls_in_parallel = true;
    run_chunk(0);
    tls_in_parallel = false;
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
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

  void run_chunk(int c) {
    int64_t begin = task_.n * c / task_.chunks;
    int64_t end = task_.n * (c + 1) / task_.chunks;
    if (begin < end) task_.body(begin, end, task_.closure);
  }

  void worker(int id) {
    tls_in_parallel = true;
    uint64_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (id >= task_.chunks) continue;
      lk.unlock();
      run_chunk(id);
      lk.lock();
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }

  void start_workers() {
    stop_ = false;
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i] { worker(i); });
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
  Task task_;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  int size_ = 1;
};

}  // namespace

void set_num_threads(int n) { ThreadPool::get().resize(n); }
int num_threads() { return ThreadPool::get().size(); }

}  // namespace cinn::runtime

extern "C" void cinn_parallel_for(int64_t n, cinn_parallel_body_t body, void* closure) {
  cinn::runtime::ThreadPool::get().run(n, body, closure);
}
