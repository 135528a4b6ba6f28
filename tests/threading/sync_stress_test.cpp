// Stress tests for Barrier, Condition, Lock, RLock and Semaphore: many threads and cycles, every
// count checked; no sleeps. Each runs well under a second (the tsan preset runs them too).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "concur/threading.hpp"

using namespace std::chrono_literals;
using namespace concur::threading;

namespace {

template <class F>
void run_threads(int n, F f) {
  std::vector<Thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(f, i);
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
}

}  // namespace

TEST(SyncStress, BarrierCyclesKeepEveryThreadInStep) {
  constexpr int kThreads = 8, kCycles = 500;
  std::atomic<int> cycle{0};
  std::atomic<std::uint64_t> index_sum{0};
  std::atomic<int> errors{0};
  Barrier b(kThreads, [&] { cycle.fetch_add(1, std::memory_order_relaxed); });
  run_threads(kThreads, [&](int) {
    for (int c = 0; c < kCycles; ++c) {
      index_sum += b.wait();
      // The action of cycle c ran before anyone left it, and nobody can finish cycle c+1 without
      // this thread: the count is exactly c+1 here.
      if (cycle.load(std::memory_order_relaxed) != c + 1) ++errors;
    }
  });
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(cycle.load(), kCycles);
  EXPECT_EQ(index_sum.load(), std::uint64_t{kCycles} * (kThreads * (kThreads - 1) / 2));
}

TEST(SyncStress, TwoThreadBarrierManyCycles) {
  constexpr int kCycles = 5000;
  Barrier b(2);
  std::atomic<int> zeros{0};
  run_threads(2, [&](int) {
    for (int c = 0; c < kCycles; ++c)
      if (b.wait() == 0) ++zeros;
  });
  EXPECT_EQ(zeros.load(), kCycles);
}

TEST(SyncStress, ConditionBoundedBufferConservesItems) {
  constexpr int kProducers = 4, kConsumers = 4, kEach = 5000;
  constexpr std::size_t kCapacity = 8;
  Lock lock;
  Condition not_empty(lock), not_full(lock);
  std::deque<int> buf;
  int producers_left = kProducers;
  std::atomic<std::int64_t> sum{0}, count{0};
  std::vector<Thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&] {
      for (int i = 1; i <= kEach; ++i) {
        std::scoped_lock g(lock);
        not_full.wait_for([&] { return buf.size() < kCapacity; });
        buf.push_back(i);
        not_empty.notify();
      }
      std::scoped_lock g(lock);
      if (--producers_left == 0) not_empty.notify_all();
    });
  for (int c = 0; c < kConsumers; ++c)
    threads.emplace_back([&] {
      for (;;) {
        std::scoped_lock g(lock);
        not_empty.wait_for([&] { return !buf.empty() || producers_left == 0; });
        if (buf.empty()) return;
        sum += buf.front();
        ++count;
        buf.pop_front();
        not_full.notify();
      }
    });
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  EXPECT_EQ(count.load(), kProducers * kEach);
  EXPECT_EQ(sum.load(), std::int64_t{kProducers} * kEach * (kEach + 1) / 2);
}

TEST(SyncStress, ConditionNotifyCountsMatchWakeUps) {
  // Rounds of: k waiters register, notify(j) wakes exactly j of them, notify_all the rest.
  constexpr int kRounds = 30, kWaiters = 6;
  Condition cond;
  for (int r = 0; r < kRounds; ++r) {
    int ready = 0;
    std::atomic<int> woken{0};
    std::vector<Thread> threads;
    for (int i = 0; i < kWaiters; ++i)
      threads.emplace_back([&] {
        std::scoped_lock g(cond);
        ++ready;
        if (cond.wait()) ++woken;
      });
    for (auto& t : threads) t.start();
    for (;;) {
      std::scoped_lock g(cond);
      if (ready == kWaiters) break;
    }
    const int j = r % kWaiters;
    {
      std::scoped_lock g(cond);
      cond.notify(j);
    }
    while (woken.load() < j) std::this_thread::yield();
    {
      std::scoped_lock g(cond);
      EXPECT_EQ(woken.load(), j);  // the rest are still registered, unwoken
      cond.notify_all();
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(woken.load(), kWaiters);
  }
}

TEST(SyncStress, LocksAndSemaphoreSerialiseIncrements) {
  constexpr int kThreads = 6, kEach = 5000;
  Lock lock;
  RLock rlock;
  Semaphore sem(1);
  long a = 0, b = 0, c = 0;
  run_threads(kThreads, [&](int) {
    for (int i = 0; i < kEach; ++i) {
      {
        std::scoped_lock g(lock);
        ++a;
      }
      {
        std::scoped_lock g1(rlock);
        std::scoped_lock g2(rlock);
        ++b;
      }
      {
        std::scoped_lock g(sem);
        ++c;
      }
    }
  });
  EXPECT_EQ(a, kThreads * kEach);
  EXPECT_EQ(b, kThreads * kEach);
  EXPECT_EQ(c, kThreads * kEach);
}

TEST(SyncStress, TimedLockAcquiresUnderContentionNeverLoseTheLock) {
  constexpr int kThreads = 6, kEach = 2000;
  Lock lock;
  long n = 0;
  std::atomic<long> timeouts{0};
  run_threads(kThreads, [&](int) {
    for (int i = 0; i < kEach;) {
      if (lock.acquire(true, 50us)) {
        ++n;
        ++i;
        lock.release();
      } else {
        ++timeouts;
      }
    }
  });
  EXPECT_EQ(n, kThreads * kEach);
  EXPECT_FALSE(lock.locked());
}
