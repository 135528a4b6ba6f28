// concur::futures::ThreadPoolExecutor: results and exceptions through futures, ordered chunked
// map, shutdown (with cancel_futures), cancelling queued tasks, waiting from inside the pool
// (result() helps), and an idle pool's CPU use.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <list>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "concur/threading.hpp"

using namespace std::chrono_literals;
using concur::futures::CancelledError;
using concur::futures::Future;
using concur::futures::ThreadPoolExecutor;

TEST(ThreadPoolExecutor, SubmitReturnsResult) {
  ThreadPoolExecutor pool(2);
  auto f = pool.submit([](int a, int b) { return a * b; }, 6, 7);
  EXPECT_EQ(f.get(), 42);
  auto v = pool.submit([] {});
  v.get();
}

TEST(ThreadPoolExecutor, SubmitCarriesExceptionToFuture) {
  ThreadPoolExecutor pool(2);
  auto f = pool.submit([]() -> int { throw std::runtime_error("task failed"); });
  try {
    f.get();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "task failed");
  }
}

// submit() packs the task and its future's state into one block: captures and results of any
// size and alignment, move-only arguments and reference results must all still work.
TEST(ThreadPoolExecutor, SubmitHandlesAnySizeAlignmentAndMoveOnlyTypes) {
  struct alignas(64) Wide {
    char bytes[64] = {};
  };
  ThreadPoolExecutor pool(2);
  Wide w;
  w.bytes[5] = 9;
  auto aligned = pool.submit([w] {
    return std::pair(reinterpret_cast<std::uintptr_t>(&w) % alignof(Wide), int{w.bytes[5]});
  });
  EXPECT_EQ(aligned.get(), std::pair(std::uintptr_t{0}, 9));
  auto big = pool.submit([] {
    std::array<char, 5000> a{};
    a[4999] = 'z';
    return a;
  });
  EXPECT_EQ(big.get()[4999], 'z');
  auto owned =
      pool.submit([](std::unique_ptr<int> p) { return *p + 1; }, std::make_unique<int>(41));
  EXPECT_EQ(owned.get(), 42);
  static int target = 3;
  auto ref = pool.submit([]() -> int& { return target; });
  EXPECT_EQ(&ref.get(), &target);
  auto text = pool.submit([](std::string s) { return s + s; }, std::string(100, 'x'));
  EXPECT_EQ(text.get(), std::string(200, 'x'));
}

// The block is freed by whoever lets go last: a future dropped before its task ran, a future
// read after the pool is gone (ASan checks the frees).
TEST(ThreadPoolExecutor, FutureMayDieBeforeItsTaskOrOutliveThePool) {
  Future<std::string> survivor;
  {
    ThreadPoolExecutor pool(2);
    std::latch go(1);
    for (int i = 0; i < 100; ++i) pool.submit([&go] { go.wait(); });  // futures dropped at once
    survivor = pool.submit([] { return std::string(64, 'y'); });
    go.count_down();
  }
  EXPECT_EQ(survivor.get(), std::string(64, 'y'));
}

TEST(ThreadPoolExecutor, DefaultWorkerCountIsUsableCpus) {
  ThreadPoolExecutor pool;
  EXPECT_GE(pool.max_workers(), 1u);
}

TEST(ThreadPoolExecutor, ManySubmitsAllComplete) {
  ThreadPoolExecutor pool(3);
  std::vector<Future<int>> fs;
  for (int i = 0; i < 10000; ++i) fs.push_back(pool.submit([i] { return i; }));
  long sum = 0;
  for (auto& f : fs) sum += f.get();
  EXPECT_EQ(sum, 10000L * 9999 / 2);
}

TEST(ThreadPoolExecutor, MapIsOrdered) {
  ThreadPoolExecutor pool(2);
  std::vector<int> in(100000);
  std::iota(in.begin(), in.end(), 0);
  auto out = pool.map([](int x) { return 2 * x; }, in);
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(out[i], 2 * static_cast<int>(i));
}

TEST(ThreadPoolExecutor, MapHandlesEmptyNonRandomAccessAndOddTypes) {
  ThreadPoolExecutor pool(2);
  EXPECT_TRUE(pool.map([](int x) { return x; }, std::vector<int>{}).empty());
  std::list<std::string> words{"a", "bb", "ccc"};
  auto sizes = pool.map([](const std::string& s) { return s.size(); }, words);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 2, 3}));
  auto odd = pool.map([](int x) { return x % 2 == 1; }, std::vector<int>{1, 2, 3});
  EXPECT_EQ(odd, (std::vector<bool>{true, false, true}));
  struct NoDefault {
    explicit NoDefault(int v) : v(v) {}
    int v;
  };
  auto nd = pool.map([](int x) { return NoDefault(x); }, std::vector<int>{4, 5});
  EXPECT_EQ(nd[1].v, 5);
}

TEST(ThreadPoolExecutor, MapRethrowsLowestIndexedExceptionAfterRunningAll) {
  ThreadPoolExecutor pool(2);
  std::vector<int> in(1000);
  std::iota(in.begin(), in.end(), 0);
  std::atomic<int> calls{0};
  try {
    pool.map(
        [&](int x) {
          calls.fetch_add(1);
          if (x == 700 || x == 300) throw std::runtime_error(std::to_string(x));
          return x;
        },
        in);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "300");
  }
  EXPECT_EQ(calls.load(), 1000);
}

TEST(ThreadPoolExecutor, MapOfMillionItemsMakesNoFuturePerItem) {
  // A future per item would take many times this budget; chunking takes milliseconds.
  ThreadPoolExecutor pool(2);
  std::vector<int> in(1'000'000, 1);
  const auto t0 = std::chrono::steady_clock::now();
  auto out = pool.map([](int x) { return x + 1; }, in);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(std::accumulate(out.begin(), out.end(), 0L), 2'000'000L);
  EXPECT_LT(took, 2s);
}

TEST(ThreadPoolExecutor, SubmitAfterShutdownThrowsLogicError) {
  ThreadPoolExecutor pool(1);
  pool.shutdown();
  EXPECT_THROW(pool.submit([] {}), std::logic_error);
  EXPECT_THROW(pool.map([](int x) { return x; }, std::vector<int>{1}), std::logic_error);
}

TEST(ThreadPoolExecutor, ShutdownWithoutCancelRunsQueuedTasks) {
  std::atomic<int> ran{0};
  std::vector<Future<void>> fs;
  concur::threading::Event gate;  // outlives the pool, whose destructor runs the tasks
  {
    ThreadPoolExecutor pool(1);
    fs.push_back(pool.submit([&] { gate.wait(); }));
    for (int i = 0; i < 10; ++i) fs.push_back(pool.submit([&] { ran.fetch_add(1); }));
    pool.shutdown(false);
    gate.set();
  }  // the destructor waits
  EXPECT_EQ(ran.load(), 10);
  for (auto& f : fs) f.get();
}

TEST(ThreadPoolExecutor, ShutdownCancelFuturesLeavesQueuedFuturesCancelled) {
  ThreadPoolExecutor pool(1);
  concur::threading::Event gate, running;
  auto first = pool.submit([&] {
    running.set();
    gate.wait();
    return 1;
  });
  running.wait();
  std::vector<Future<int>> queued;
  for (int i = 0; i < 5; ++i) queued.push_back(pool.submit([] { return 2; }));
  // Cancel before releasing the running task: had the gate opened first, the worker could take
  // queued tasks before shutdown cancels them.
  pool.shutdown(false, true);
  gate.set();
  EXPECT_EQ(first.get(), 1);  // the running task finishes
  for (auto& f : queued) {
    EXPECT_TRUE(f.cancelled());
    EXPECT_THROW(f.get(), CancelledError);
  }
}

TEST(ThreadPoolExecutor, CancelledQueuedTaskNeverRunsAndOthersDo) {
  ThreadPoolExecutor pool(1);
  concur::threading::Event gate, running;
  std::atomic<int> ran{0};
  auto first = pool.submit([&] {
    running.set();
    gate.wait();
  });
  running.wait();
  EXPECT_FALSE(first.cancel());  // running
  auto victim = pool.submit([&] { ran.fetch_add(100); });
  auto kept = pool.submit([&] { ran.fetch_add(1); });
  EXPECT_TRUE(victim.cancel());
  gate.set();
  kept.result();
  EXPECT_TRUE(victim.cancelled());
  EXPECT_EQ(ran.load(), 1);
  EXPECT_FALSE(kept.cancel());  // finished
}

TEST(ThreadPoolExecutor, FuturesOfAPoolRefuseOutsideSetters) {
  ThreadPoolExecutor pool(1);
  concur::threading::Event gate;
  auto f = pool.submit([&] {
    gate.wait();
    return 1;
  });
  EXPECT_THROW(f.set_result(2), concur::futures::InvalidStateError);
  EXPECT_THROW(f.set_running_or_notify_cancel(), concur::futures::InvalidStateError);
  gate.set();
  EXPECT_EQ(f.result(), 1);
}

TEST(ThreadPoolExecutor, CallbackRunsWithTheFinishedFuture) {
  ThreadPoolExecutor pool(2);
  concur::threading::Event called;
  int seen = 0;
  auto f = pool.submit([] { return 6; });
  f.add_done_callback([&](const Future<int>& d) {
    seen = d.result();
    called.set();
  });
  ASSERT_TRUE(called.wait(30s));
  EXPECT_EQ(seen, 6);
}

TEST(ThreadPoolExecutor, ATaskAndItsFutureAreOneSmallBlock) {
  auto empty = [] {};
  using Task = concur::futures::detail::PoolTaskState<void, decltype(empty)>;
  static_assert(sizeof(Task) <= 64, "one cache line per empty task");
  SUCCEED();
}

TEST(ThreadPoolExecutor, MapFromInsideAWorkerDoesNotDeadlock) {
  ThreadPoolExecutor pool(1);  // the only worker waits on its own pool
  auto f = pool.submit([&] {
    std::vector<int> in(1000, 1);
    auto out = pool.map([](int x) { return x * 3; }, in);
    return std::accumulate(out.begin(), out.end(), 0);
  });
  ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(f.get(), 3000);
}

TEST(ThreadPoolExecutor, ResultFromInsideTheOnlyWorkerRunsQueuedTasks) {
  ThreadPoolExecutor pool(1);
  auto outer = pool.submit([&] {
    auto inner = pool.submit([] { return 5; });  // queued behind us on the only worker
    return inner.result() + 1;
  });
  ASSERT_EQ(outer.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(outer.get(), 6);
}

TEST(ThreadPoolExecutor, NestedWaitsFromTasksResolve) {
  ThreadPoolExecutor pool(2);
  std::function<long(int)> fib = [&](int n) -> long {
    if (n < 2) return n;
    auto a = pool.submit(fib, n - 1);
    long b = fib(n - 2);
    return a.get() + b;
  };
  auto f = pool.submit(fib, 15);
  ASSERT_EQ(f.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(f.get(), 610);
}

static double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

TEST(ThreadPoolExecutor, IdlePoolBurnsNoCpu) {
  ThreadPoolExecutor pool(4);
  for (int i = 0; i < 100; ++i) pool.submit([] {}).get();  // workers started and back to idle
  std::this_thread::sleep_for(20ms);                       // let the spin phase end
  const double cpu0 = process_cpu_seconds();
  std::this_thread::sleep_for(300ms);  // measuring an interval, not synchronising
  const double used = process_cpu_seconds() - cpu0;
  EXPECT_LT(used, 0.03) << "4 idle workers used " << used << " s of CPU in 0.3 s";
}
