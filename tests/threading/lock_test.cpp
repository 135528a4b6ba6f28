// concur::threading::Lock and RLock, after CPython's Lib/test/lock_tests.py (BaseLockTests,
// LockTests, RLockTests): Python's acquire/release semantics, errors and the C++ lock concepts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "concur/threading.hpp"

using namespace std::chrono_literals;
using namespace concur::threading;

namespace {

// Runs f on a new concur Thread and joins it (rethrowing what it threw).
template <class F>
void in_thread(F f) {
  Thread t(std::move(f));
  t.start();
  t.join();
}

}  // namespace

TEST(Lock, AcquireReleaseAndLocked) {
  Lock lock;
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.acquire());
  EXPECT_TRUE(lock.locked());
  lock.release();
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, NonBlockingAcquireFailsWhileHeldElsewhere) {
  Lock lock;
  lock.acquire();
  bool got = true;
  in_thread([&] { got = lock.acquire(false); });
  EXPECT_FALSE(got);
  lock.release();
  in_thread([&] {
    got = lock.acquire(false);
    lock.release();
  });
  EXPECT_TRUE(got);
}

TEST(Lock, IsNotReentrant) {
  Lock lock;
  lock.acquire();
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.acquire(true, 0s));
  lock.release();
}

TEST(Lock, TimeoutMisuseIsInvalidArgument) {
  Lock lock;
  EXPECT_THROW(lock.acquire(false, 1s), std::invalid_argument);
  EXPECT_THROW(lock.acquire(true, -100s), std::invalid_argument);
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.acquire(true, 1e9s));  // a huge timeout saturates
  lock.release();
}

TEST(Lock, TimedAcquireWaitsAtLeastTheTimeout) {
  Lock lock;
  lock.acquire();
  in_thread([&] {
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(lock.acquire(true, 50ms));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
  });
  lock.release();
}

TEST(Lock, ReleaseOfUnlockedLockIsLogicError) {
  Lock lock;
  EXPECT_THROW(lock.release(), std::logic_error);
  lock.acquire();
  lock.release();
  EXPECT_THROW(lock.release(), std::logic_error);
  EXPECT_THROW(lock.unlock(), std::logic_error);
}

TEST(Lock, AnotherThreadMayRelease) {
  Lock lock;
  in_thread([&] { lock.acquire(); });
  EXPECT_TRUE(lock.locked());
  lock.release();  // Python allows it; std::mutex would be undefined behaviour
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, BlockedAcquirerGetsTheLockOnRelease) {
  Lock lock;
  lock.acquire();
  Event started;
  std::atomic<bool> acquired{false};
  Thread t([&] {
    started.set();
    lock.acquire();
    acquired = true;
  });
  t.start();
  started.wait();
  EXPECT_FALSE(lock.acquire(true, 10ms));  // still ours
  EXPECT_FALSE(acquired.load());
  lock.release();
  t.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_TRUE(lock.locked());  // the thread ended holding it, as allowed
  lock.release();
}

TEST(Lock, StateAfterTimeoutIsConsistent) {
  // CPython issue #11618: a timed-out acquire must not leave the lock in a bad state.
  Lock lock;
  lock.acquire();
  in_thread([&] { EXPECT_FALSE(lock.acquire(true, 10ms)); });
  lock.release();
  EXPECT_FALSE(lock.locked());
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST(Lock, WorksWithStdGuardsAndConditionVariableAny) {
  Lock lock;
  {
    std::scoped_lock g(lock);
    EXPECT_TRUE(lock.locked());
  }
  {
    std::unique_lock g(lock, std::defer_lock);
    EXPECT_TRUE(g.try_lock_for(10ms));
  }
  EXPECT_TRUE(lock.try_lock_until(std::chrono::steady_clock::now() + 10ms));
  EXPECT_FALSE(lock.try_lock_for(-1s));  // C++'s rule: a past time makes one attempt
  EXPECT_FALSE(lock.try_lock_until(std::chrono::system_clock::now() + 5ms));
  lock.unlock();
  std::condition_variable_any cv;
  bool ready = false;
  Thread t([&] {
    std::scoped_lock g(lock);
    ready = true;
    cv.notify_one();
  });
  t.start();
  {
    std::unique_lock g(lock);
    cv.wait(g, [&] { return ready; });
  }
  t.join();
}

TEST(Lock, ContendedIncrementsAreNotLost) {
  Lock lock;
  long counter = 0;
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<Thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < kEach; ++k) {
        std::scoped_lock g(lock);
        ++counter;
      }
    });
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, kThreads * kEach);
}

TEST(RLock, OwnerMayAcquireRepeatedly) {
  RLock lock;
  lock.acquire();
  lock.acquire();
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
  lock.release();
  bool other = true;
  in_thread([&] { other = lock.acquire(false); });
  EXPECT_FALSE(other);  // still held once
  lock.release();
  in_thread([&] {
    other = lock.acquire(false);
    lock.release();
  });
  EXPECT_TRUE(other);
}

TEST(RLock, ReleaseUnacquiredIsLogicError) {
  RLock lock;
  EXPECT_THROW(lock.release(), std::logic_error);
  lock.acquire();
  lock.release();
  EXPECT_THROW(lock.release(), std::logic_error);
}

TEST(RLock, ReleaseByAnotherThreadIsLogicError) {
  RLock lock;
  Event held, done;
  Thread t([&] {
    lock.acquire();
    held.set();
    done.wait();
    lock.release();
  });
  t.start();
  held.wait();
  EXPECT_THROW(lock.release(), std::logic_error);
  done.set();
  t.join();
  EXPECT_TRUE(lock.acquire(false));
  lock.release();
}

TEST(RLock, TimeoutMisuseIsInvalidArgument) {
  RLock lock;
  EXPECT_THROW(lock.acquire(false, 1s), std::invalid_argument);
  EXPECT_THROW(lock.acquire(true, -1s), std::invalid_argument);
}

TEST(RLock, TimedAcquireByNonOwnerTimesOut) {
  RLock lock;
  lock.acquire();
  in_thread([&] { EXPECT_FALSE(lock.acquire(true, 20ms)); });
  lock.release();
}

TEST(RLock, WorksWithNestedStdGuards) {
  RLock lock;
  std::scoped_lock a(lock);
  std::unique_lock b(lock);
  std::unique_lock c(lock, std::defer_lock);
  EXPECT_TRUE(c.try_lock_for(1ms));
}
