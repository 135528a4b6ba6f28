// concur::threading::Condition, after CPython's lock_tests.py ConditionTests: Python's exact
// notify(n), wait/wait_for with timeouts, ownership errors, and Lock/RLock borrowing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "concur/threading.hpp"

using namespace std::chrono_literals;
using namespace concur::threading;

namespace {

// n threads wait on `cond`; `woken` counts those whose wait() returned true. Returns once all n
// are inside wait(): each registers under the lock before wait() releases it, so once the caller
// holds the lock with ready == n, all n are waiting.
struct Waiters {
  Condition& cond;
  int ready = 0;  // under cond's lock
  std::atomic<int> woken{0};
  std::vector<Thread> threads;

  Waiters(Condition& c, int n) : cond(c) {
    for (int i = 0; i < n; ++i)
      threads.emplace_back([this] {
        std::scoped_lock g(cond);
        ++ready;
        if (cond.wait()) ++woken;
      });
    for (auto& t : threads) t.start();
    for (;;) {
      std::scoped_lock g(cond);
      if (ready == n) break;
    }
  }
  void wait_woken(int n) {
    while (woken.load() < n) std::this_thread::yield();
  }
  void join() {
    for (auto& t : threads) t.join();
  }
};

}  // namespace

TEST(Condition, IsALock) {
  Condition cond;
  EXPECT_TRUE(cond.acquire());
  EXPECT_TRUE(cond.acquire(false));  // its own RLock is re-entrant
  cond.release();
  cond.release();
  EXPECT_THROW(cond.release(), std::logic_error);
  std::scoped_lock g(cond);
}

TEST(Condition, WaitWithoutTheLockIsLogicError) {
  Condition cond;
  EXPECT_THROW(cond.wait(), std::logic_error);
  EXPECT_THROW(cond.wait(1ms), std::logic_error);
  Lock lock;
  Condition borrowed(lock);
  EXPECT_THROW(borrowed.wait(1ms), std::logic_error);
}

TEST(Condition, NotifyWithoutTheLockIsLogicError) {
  Condition cond;
  EXPECT_THROW(cond.notify(), std::logic_error);
  EXPECT_THROW(cond.notify_all(), std::logic_error);
  Lock lock;
  Condition borrowed(lock);
  EXPECT_THROW(borrowed.notify(), std::logic_error);
}

TEST(Condition, NegativeTimeoutIsInvalidArgument) {
  Condition cond;
  std::scoped_lock g(cond);
  EXPECT_THROW(cond.wait(-1s), std::invalid_argument);
  EXPECT_THROW(cond.wait_for([] { return false; }, -1s), std::invalid_argument);
}

TEST(Condition, WaitTimesOutFalseAndHoldsTheLockAgain) {
  Lock lock;
  Condition cond(lock);
  std::scoped_lock g(cond);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(cond.wait(30ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
  EXPECT_TRUE(lock.locked());
  EXPECT_FALSE(cond.wait(0s));  // polls
}

TEST(Condition, NotifyWakesExactlyN) {
  Condition cond;
  Waiters w(cond, 5);
  {
    std::scoped_lock g(cond);
    cond.notify(3);
  }
  w.wait_woken(3);
  // No spurious wake-ups and no over-delivery (CPython checks the same way): give a wrong
  // implementation the chance to wake a fourth.
  Event().wait(20ms);
  EXPECT_EQ(w.woken.load(), 3);
  {
    std::scoped_lock g(cond);
    cond.notify_all();
  }
  w.join();
  EXPECT_EQ(w.woken.load(), 5);
}

TEST(Condition, NotifyDoesNotWakeLaterWaiters) {
  Condition cond;
  Waiters first(cond, 1);
  {
    std::scoped_lock g(cond);
    cond.notify(1);  // meant for `first`
  }
  // A thread that starts waiting now (while `first` may not have run yet) must not take it.
  std::atomic<bool> late_woke{false};
  Event late_ready;
  Thread late([&] {
    std::scoped_lock g(cond);
    late_ready.set();
    late_woke = cond.wait(30ms);
  });
  late.start();
  first.join();
  late.join();
  EXPECT_EQ(first.woken.load(), 1);
  EXPECT_FALSE(late_woke.load());
}

TEST(Condition, TimedOutWaiterDoesNotSwallowALaterNotify) {
  Condition cond;
  {
    std::scoped_lock g(cond);
    EXPECT_FALSE(cond.wait(1ms));  // leaves, having registered as a waiter
  }
  Waiters w(cond, 1);
  {
    std::scoped_lock g(cond);
    cond.notify(1);
  }
  w.join();
  EXPECT_EQ(w.woken.load(), 1);
}

TEST(Condition, NotifyWithNoWaitersIsANoOp) {
  Condition cond;
  std::scoped_lock g(cond);
  cond.notify(10);
  cond.notify_all();
  EXPECT_FALSE(cond.wait(1ms));  // nothing was stored for a later waiter
}

TEST(Condition, WaitOnRLockHeldTwiceReleasesItCompletely) {
  RLock lock;
  Condition cond(lock);
  lock.acquire();
  lock.acquire();
  std::atomic<bool> got_it{false};
  Thread t([&] {
    std::scoped_lock g(cond);  // only possible if wait() released both levels
    got_it = true;
    cond.notify();
  });
  t.start();
  EXPECT_TRUE(cond.wait(10s));
  EXPECT_TRUE(got_it.load());
  lock.release();
  lock.release();  // both levels were restored
  EXPECT_THROW(lock.release(), std::logic_error);
  t.join();
}

TEST(Condition, WaitForReturnsThePredicatesLastValue) {
  Condition cond;
  int state = 0;
  Thread t([&] {
    for (int i = 0; i < 5; ++i) {
      std::scoped_lock g(cond);
      ++state;
      cond.notify();
    }
  });
  t.start();
  {
    std::scoped_lock g(cond);
    EXPECT_TRUE(cond.wait_for([&] { return state == 5; }));
    EXPECT_EQ(state, 5);
  }
  t.join();
}

TEST(Condition, WaitForTimesOutOnceOverAllWaits) {
  Condition cond;
  std::scoped_lock g(cond);
  int calls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(cond.wait_for(
      [&] {
        ++calls;
        return false;
      },
      30ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
  EXPECT_GE(calls, 2);  // checked before and after waiting
}

TEST(Condition, WorksWithStdConditionVariableAnyAsItsLock) {
  Condition cond;
  std::condition_variable_any cv;
  bool flag = false;
  Thread t([&] {
    std::scoped_lock g(cond);
    flag = true;
    cv.notify_all();
  });
  t.start();
  {
    std::unique_lock g(cond);
    cv.wait(g, [&] { return flag; });
  }
  t.join();
}
