// Scenario queue_handoff_1p1c: 10^6 ints from one producer thread to one consumer thread,
// concur::queue::Queue beside a plain mutex+condvar deque, moodycamel's BlockingConcurrentQueue,
// TBB's concurrent_bounded_queue and Python's queue.Queue.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "concur/queue.hpp"
#include "harness/harness.hpp"

#ifdef CONCUR_HAVE_MOODYCAMEL
#include <concurrentqueue/blockingconcurrentqueue.h>
#endif
#ifdef CONCUR_HAVE_TBB
#include <tbb/concurrent_queue.h>
#endif

namespace {

using concur::bench::time_it;

int items() { return concur::bench::quick() ? 100'000 : 1'000'000; }

// Times producer + consumer; put(i) and get() -> int are the queue's operations.
template <class Put, class Get>
double handoff(Put put, Get get) {
  const int n = items();
  std::int64_t sum = 0;
  const double s = time_it([&] {
    std::thread producer([&] {
      for (int i = 0; i < n; ++i) put(i);
    });
    for (int i = 0; i < n; ++i) sum += get();
    producer.join();
  });
  if (sum != static_cast<std::int64_t>(n) * (n - 1) / 2) throw std::runtime_error("items lost");
  return s;
}

double concur_queue() {
  concur::queue::Queue<int> q;
  return handoff([&](int i) { q.put(i); }, [&] { return q.get(); });
}

double mutex_condvar_deque() {
  std::mutex m;
  std::condition_variable cv;
  std::deque<int> d;
  return handoff(
      [&](int i) {
        {
          std::lock_guard lk(m);
          d.push_back(i);
        }
        cv.notify_one();
      },
      [&] {
        std::unique_lock lk(m);
        cv.wait(lk, [&] { return !d.empty(); });
        const int v = d.front();
        d.pop_front();
        return v;
      });
}

[[maybe_unused]] double moodycamel_blocking() {
#ifdef CONCUR_HAVE_MOODYCAMEL
  moodycamel::BlockingConcurrentQueue<int> q;
  return handoff([&](int i) { q.enqueue(i); },
                 [&] {
                   int v = 0;
                   q.wait_dequeue(v);
                   return v;
                 });
#else
  throw concur::bench::Skip("moodycamel concurrentqueue not installed");
#endif
}

[[maybe_unused]] double tbb_bounded() {
#ifdef CONCUR_HAVE_TBB
  tbb::concurrent_bounded_queue<int> q;
  return handoff([&](int i) { q.push(i); },
                 [&] {
                   int v = 0;
                   q.pop(v);
                   return v;
                 });
#else
  throw concur::bench::Skip("TBB not linked");
#endif
}

concur::bench::Register reg{[] {
  using namespace concur::bench;
  return Scenario{
      .id = "queue_handoff_1p1c",
      .description = "10^6 ints, one producer thread -> one consumer thread",
      .reference = "concur_queue",
      .impls = {{"concur_queue", concur_queue},
                {"mutex_condvar_deque", mutex_condvar_deque},
                {"moodycamel_blocking", moodycamel_blocking},
                {"tbb_bounded", tbb_bounded},
                {"python_queue",
                 [] { return run_python("queue_handoff_1p1c.py", {std::to_string(items())}); }}}};
}};

}  // namespace
