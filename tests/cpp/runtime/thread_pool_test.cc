// The thread pool behind parallel loops (runtime/thread_pool.h): every iteration runs once,
// loops posted back to back do not mix, and a thread held up in its block does not hold
// up the rest of the loop (the others take its remaining chunks).
#include "cinn/runtime/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace cinn::runtime {
namespace {

// Restores the pool's size after each test.
class ThreadPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = num_threads(); }
  void TearDown() override { set_num_threads(saved_); }
  int saved_ = 0;
};

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(int64_t n) : hits(static_cast<size_t>(n)) {}
};

void count(int64_t begin, int64_t end, void* closure) {
  auto* c = static_cast<Counts*>(closure);
  for (int64_t i = begin; i < end; ++i) c->hits[static_cast<size_t>(i)].fetch_add(1);
}

TEST_F(ThreadPoolTest, EveryIterationRunsOnce) {
  for (int threads : {1, 2, 3, 5}) {
    set_num_threads(threads);
    for (int64_t n : {1, 2, 3, 4, 7, 8, 9, 19, 20, 21, 64, 1000, 100003}) {
      Counts c(n);
      cinn_parallel_for(n, count, &c);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(c.hits[static_cast<size_t>(i)].load(), 1)
            << "threads " << threads << " n " << n << " i " << i;
      }
    }
  }
}

// Loop k writes k everywhere; a chunk of an earlier loop run late would leave another value.
struct Stamp {
  int64_t loop;
  std::vector<int64_t>* out;
};

void stamp(int64_t begin, int64_t end, void* closure) {
  auto* s = static_cast<Stamp*>(closure);
  for (int64_t i = begin; i < end; ++i) (*s->out)[static_cast<size_t>(i)] = s->loop;
}

TEST_F(ThreadPoolTest, LoopsBackToBackDoNotMix) {
  set_num_threads(3);
  std::vector<int64_t> out(37);
  for (int64_t k = 0; k < 20000; ++k) {
    int64_t n = 1 + k % 37;
    Stamp s{k, &out};
    cinn_parallel_for(n, stamp, &s);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(out[static_cast<size_t>(i)], k) << "loop " << k << " i " << i;
  }
}

// Iteration 0 (the caller's first chunk) waits until iterations 1..3, the rest of the
// caller's block, have run: only another thread can run them meanwhile. Under static
// scheduling the caller would run them itself, after iteration 0, and this would time out.
struct HeldUp {
  std::mutex mu;
  std::condition_variable cv;
  int rest_done = 0;
  bool timed_out = false;
  std::thread::id caller;
  std::vector<std::thread::id> by = std::vector<std::thread::id>(8);
};

void held_up(int64_t begin, int64_t end, void* closure) {
  auto* h = static_cast<HeldUp*>(closure);
  for (int64_t i = begin; i < end; ++i) {
    h->by[static_cast<size_t>(i)] = std::this_thread::get_id();
    std::unique_lock<std::mutex> lk(h->mu);
    if (i == 0) {
      h->timed_out =
          !h->cv.wait_for(lk, std::chrono::seconds(20), [&] { return h->rest_done == 3; });
    } else if (i <= 3) {
      ++h->rest_done;
      h->cv.notify_all();
    }
  }
}

TEST_F(ThreadPoolTest, OthersTakeTheChunksOfAThreadHeldUp) {
  set_num_threads(2);
  HeldUp h;
  cinn_parallel_for(8, held_up, &h);  // 2 threads x 4 chunks: one iteration per chunk
  EXPECT_FALSE(h.timed_out);
  EXPECT_EQ(h.rest_done, 3);
  for (int i = 1; i <= 3; ++i) EXPECT_NE(h.by[static_cast<size_t>(i)], h.by[0]) << i;
}

void nested(int64_t begin, int64_t end, void* closure) {
  for (int64_t i = begin; i < end; ++i) {
    Counts inner(10);
    cinn_parallel_for(10, count, &inner);  // runs on this thread, serially
    for (auto& x : inner.hits) {
      if (x.load() != 1) static_cast<std::atomic<int>*>(closure)->fetch_add(1);
    }
  }
}

TEST_F(ThreadPoolTest, NestedLoopsRunSerially) {
  set_num_threads(2);
  std::atomic<int> wrong{0};
  cinn_parallel_for(16, nested, &wrong);
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace cinn::runtime
