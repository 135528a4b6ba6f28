// concur::threading::Barrier, after CPython's lock_tests.py BarrierTests: indexes, the action,
// timeouts, abort() and reset(), with every thread's outcome checked.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "concur/threading.hpp"

using namespace std::chrono_literals;
using namespace concur::threading;

namespace {

// Runs f(i) on n concur Threads and joins them all.
void run_threads(int n, const std::function<void(int)>& f) {
  std::vector<Thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(f, i);
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
}

}  // namespace

TEST(Barrier, ZeroPartiesOrNegativeTimeoutIsInvalidArgument) {
  EXPECT_THROW(Barrier(0), std::invalid_argument);
  EXPECT_THROW(Barrier(2, {}, -1s), std::invalid_argument);
  Barrier b(1);
  EXPECT_THROW(b.wait(-1s), std::invalid_argument);
}

TEST(Barrier, SingleThreadPassesAtOnce) {
  Barrier b(1);
  EXPECT_EQ(b.wait(), 0u);
  EXPECT_EQ(b.wait(), 0u);
  EXPECT_EQ(b.wait(0s), 0u);
  EXPECT_EQ(b.parties(), 1u);
  EXPECT_FALSE(b.broken());
}

TEST(Barrier, IndexesArePermutationOfPartiesEveryCycle) {
  constexpr int kN = 5, kCycles = 20;
  Barrier b(kN);
  std::mutex m;
  std::vector<std::multiset<std::size_t>> seen(kCycles);
  run_threads(kN, [&](int) {
    for (int c = 0; c < kCycles; ++c) {
      const std::size_t i = b.wait();
      std::scoped_lock g(m);
      seen[c].insert(i);
    }
  });
  for (const auto& s : seen) EXPECT_EQ(s, (std::multiset<std::size_t>{0, 1, 2, 3, 4}));
}

TEST(Barrier, ActionRunsOncePerCycleBeforeAnyoneLeaves) {
  constexpr int kN = 4, kCycles = 50;
  std::atomic<int> actions{0}, arrived{0};
  std::atomic<bool> ok{true};
  Barrier b(kN, [&] {
    if (arrived.load() != (actions.load() + 1) * kN) ok = false;  // everyone is in
    ++actions;
  });
  run_threads(kN, [&](int) {
    for (int c = 0; c < kCycles; ++c) {
      ++arrived;
      b.wait();
      if (actions.load() < c + 1) ok = false;  // left before this cycle's action ran
    }
  });
  EXPECT_TRUE(ok.load());
  EXPECT_EQ(actions.load(), kCycles);
}

TEST(Barrier, ThrowingActionBreaksItAndReachesOnlyItsThread) {
  constexpr int kN = 3;
  Barrier b(kN, [] { throw std::runtime_error("action failed"); });
  std::atomic<int> runtime{0}, broken{0};
  run_threads(kN, [&](int) {
    try {
      b.wait();
    } catch (const BrokenBarrierError&) {
      ++broken;
    } catch (const std::runtime_error&) {
      ++runtime;
    }
  });
  EXPECT_EQ(runtime.load(), 1);
  EXPECT_EQ(broken.load(), kN - 1);
  EXPECT_TRUE(b.broken());
  EXPECT_THROW(b.wait(), BrokenBarrierError);
}

TEST(Barrier, TimeoutBreaksItForEveryWaiter) {
  constexpr int kN = 3;
  Barrier b(kN);
  std::atomic<int> broken{0};
  // Only kN-1 threads come: the one with the short timeout breaks the barrier for the other.
  run_threads(kN - 1, [&](int i) {
    try {
      b.wait(i == 0 ? std::optional<concur::Duration>(20ms) : std::nullopt);
    } catch (const BrokenBarrierError&) {
      ++broken;
    }
  });
  EXPECT_EQ(broken.load(), kN - 1);
  EXPECT_TRUE(b.broken());
  EXPECT_EQ(b.n_waiting(), 0u);
}

TEST(Barrier, DefaultTimeoutApplies) {
  Barrier b(2, {}, 20ms);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(b.wait(), BrokenBarrierError);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  EXPECT_TRUE(b.broken());
}

TEST(Barrier, AbortBreaksWaitersAndLaterCallsUntilReset) {
  constexpr int kN = 3;
  Barrier b(kN);
  std::atomic<int> broken{0};
  std::vector<Thread> threads;
  for (int i = 0; i < kN - 1; ++i)
    threads.emplace_back([&] {
      try {
        b.wait();
      } catch (const BrokenBarrierError&) {
        ++broken;
      }
    });
  for (auto& t : threads) t.start();
  while (b.n_waiting() < kN - 1) std::this_thread::yield();
  b.abort();
  for (auto& t : threads) t.join();
  EXPECT_EQ(broken.load(), kN - 1);
  EXPECT_TRUE(b.broken());
  EXPECT_THROW(b.wait(), BrokenBarrierError);
  b.reset();
  EXPECT_FALSE(b.broken());
  std::atomic<int> passed{0};
  run_threads(kN, [&](int) {
    b.wait();
    ++passed;
  });
  EXPECT_EQ(passed.load(), kN);
}

TEST(Barrier, ResetWhileWaitingBreaksThoseWaitersOnly) {
  constexpr int kN = 3;
  Barrier b(kN);
  std::atomic<int> broken{0};
  std::vector<Thread> threads;
  for (int i = 0; i < kN - 1; ++i)
    threads.emplace_back([&] {
      try {
        b.wait();
      } catch (const BrokenBarrierError&) {
        ++broken;
      }
    });
  for (auto& t : threads) t.start();
  while (b.n_waiting() < kN - 1) std::this_thread::yield();
  b.reset();
  for (auto& t : threads) t.join();
  EXPECT_EQ(broken.load(), kN - 1);
  EXPECT_FALSE(b.broken());  // usable again
  std::atomic<int> passed{0};
  run_threads(kN, [&](int) {
    b.wait();
    ++passed;
  });
  EXPECT_EQ(passed.load(), kN);
}

TEST(Barrier, AbortAndResetFromManyThreadsThenReuse) {
  // CPython's test_abort_and_reset: one thread aborts mid-way, the survivors reset and go on.
  constexpr int kN = 4;
  Barrier b(kN), b2(kN);
  std::atomic<int> broken{0}, after{0};
  run_threads(kN, [&](int i) {
    try {
      if (i == kN / 2) throw std::runtime_error("leave");
      b.wait();  // never completes: one party is missing
    } catch (const std::runtime_error&) {
      if (i == kN / 2)
        b.abort();
      else
        ++broken;
    }
    // Everyone resets once all are here, then the barrier works again.
    if (b2.wait() == kN - 1) b.reset();
    b2.wait();
    b.wait();
    ++after;
  });
  EXPECT_EQ(broken.load(), kN - 1);
  EXPECT_EQ(after.load(), kN);
}

TEST(Barrier, ResetOrAbortFromTheActionIsLogicError) {
  Barrier* self = nullptr;
  bool reset_threw = false, abort_threw = false;
  Barrier b(1, [&] {
    try {
      self->reset();
    } catch (const std::logic_error&) {
      reset_threw = true;
    }
    try {
      self->abort();
    } catch (const std::logic_error&) {
      abort_threw = true;
    }
  });
  self = &b;
  EXPECT_EQ(b.wait(), 0u);
  EXPECT_TRUE(reset_threw);
  EXPECT_TRUE(abort_threw);
}

TEST(Barrier, NWaitingCountsTheCurrentCycle) {
  Barrier b(2);
  EXPECT_EQ(b.n_waiting(), 0u);
  Thread t([&] { b.wait(); });
  t.start();
  while (b.n_waiting() < 1) std::this_thread::yield();
  EXPECT_EQ(b.n_waiting(), 1u);
  b.wait();
  t.join();
  EXPECT_EQ(b.n_waiting(), 0u);
}
