// Scenarios of multiprocessing's queues and locks (ids from shared/BENCH.md):
//   mp_queue_1p1c      10^5 small items, one process -> another, through Queue   ref
//   concur_mp_queue mp_lock_contended  2 processes x 10^5 increments of a Value under a shared Lock
//                                                                  ref concur_mp_lock
// Each repetition starts its processes first and times only the work: a "go" Event (or a
// first item) releases them, and the parent stops the clock when they report done. The lock
// scenario's workers (processes, threads, Python's processes alike) first report ready and
// wait for "go", so every row times the same thing: waking two waiting workers, their 2 x 10^5
// increments, and their "done".
#include <concur/multiprocessing.hpp>
#include <concur/threading.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/harness.hpp"

namespace {

namespace mp = concur::multiprocessing;
using concur::bench::Register;
using concur::bench::Scenario;
using concur::bench::time_it;

int queue_items() { return concur::bench::quick() ? 10'000 : 100'000; }
long lock_increments() { return concur::bench::quick() ? 10'000 : 100'000; }

// The consumer: echoes a first item (so the parent knows it runs), then sums n items.
void consume(mp::Queue<std::int64_t> in, mp::Queue<std::int64_t> out, int n) {
  out.put(in.get());
  std::int64_t total = 0;
  for (int i = 0; i < n; ++i) total += in.get();
  out.put(total);
}

double concur_mp_queue() {
  const int n = queue_items();
  mp::Queue<std::int64_t> q, back;
  mp::Process consumer(&consume, q, back, n);
  consumer.start();
  q.put(-1);
  back.get();  // the consumer is up and reading
  const double t = time_it([&] {
    for (int i = 0; i < n; ++i) q.put(i);
    if (back.get() != std::int64_t{n} * (n - 1) / 2)
      throw std::runtime_error("mp_queue: lost items");
  });
  consumer.join();
  return t;
}

void increment(mp::Lock lock, mp::Value<long> v, mp::Semaphore ready, mp::Event go,
               mp::Semaphore done, long n) {
  ready.release();
  go.wait();
  for (long i = 0; i < n; ++i) {
    std::scoped_lock guard(lock);
    v.set(v.get() + 1);
  }
  done.release();
}

double concur_mp_lock() {
  const long n = lock_increments();
  mp::Lock lock;
  mp::Value<long> v(0, false);  // Python's Value(lock=False): the shared Lock guards it
  mp::Event go;
  mp::Semaphore ready(0), done(0);
  mp::Process a(&increment, lock, v, ready, go, done, n),
      b(&increment, lock, v, ready, go, done, n);
  a.start();
  b.start();
  ready.acquire();
  ready.acquire();
  const double t = time_it([&] {
    go.set();
    done.acquire();
    done.acquire();
  });
  a.join();
  b.join();
  if (v.get() != 2 * n) throw std::runtime_error("mp_lock: lost increments");
  return t;
}

double concur_threads_lock() {
  const long n = lock_increments();
  concur::threading::Lock lock;
  concur::threading::Event go;
  concur::threading::Semaphore ready(0), done(0);
  long v = 0;
  const auto work = [&] {
    ready.release();
    go.wait();
    for (long i = 0; i < n; ++i) {
      std::scoped_lock guard(lock);
      v = v + 1;
    }
    done.release();
  };
  std::thread a(work), b(work);
  ready.acquire();
  ready.acquire();
  const double t = time_it([&] {
    go.set();
    done.acquire();
    done.acquire();
  });
  a.join();
  b.join();
  if (v != 2 * n) throw std::runtime_error("threads_lock: lost increments");
  return t;
}

Register queue_1p1c{[] {
  return Scenario{.id = "mp_queue_1p1c",
                  .description = "10^5 small items from one process to another through Queue",
                  .reference = "concur_mp_queue",
                  .impls = {{"concur_mp_queue", &concur_mp_queue},
                            {"python_mp_queue",
                             [] {
                               return concur::bench::run_python("mp_queue_1p1c.py",
                                                                {std::to_string(queue_items())});
                             }}},
                  .repetitions = 5};
}};

Register lock_contended{[] {
  return Scenario{.id = "mp_lock_contended",
                  .description = "2 processes x 10^5 increments of a Value under a shared Lock",
                  .reference = "concur_mp_lock",
                  .impls = {{"concur_mp_lock", &concur_mp_lock},
                            {"concur_threads_lock", &concur_threads_lock},
                            {"python_mp_lock",
                             [] {
                               return concur::bench::run_python(
                                   "mp_lock_contended.py", {std::to_string(lock_increments())});
                             }}},
                  .repetitions = 5};
}};

}  // namespace
