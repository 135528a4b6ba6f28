// concur::threading::Semaphore and BoundedSemaphore, after CPython's lock_tests.py
// (BaseSemaphoreTests, SemaphoreTests, BoundedSemaphoreTests).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "concur/threading.hpp"

using namespace std::chrono_literals;
using namespace concur::threading;

TEST(Semaphore, DefaultValueIsOne) {
  Semaphore s;
  EXPECT_TRUE(s.acquire(false));
  EXPECT_FALSE(s.acquire(false));
  s.release();
  EXPECT_TRUE(s.acquire(false));
}

TEST(Semaphore, AcquireCountsDown) {
  Semaphore s(3);
  EXPECT_TRUE(s.acquire());
  EXPECT_TRUE(s.acquire(true, 0s));
  EXPECT_TRUE(s.acquire(false));
  EXPECT_FALSE(s.acquire(false));
  EXPECT_EQ(s.value(), 0u);
}

TEST(Semaphore, TimeoutMisuseIsInvalidArgument) {
  Semaphore s(1);
  EXPECT_THROW(s.acquire(false, 1s), std::invalid_argument);
  EXPECT_THROW(s.acquire(true, -1s), std::invalid_argument);
  EXPECT_EQ(s.value(), 1u);  // nothing taken
  EXPECT_THROW(s.release(0), std::invalid_argument);
}

TEST(Semaphore, AcquireTimesOutWhenEmpty) {
  Semaphore s(0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s.acquire(true, 30ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
}

TEST(Semaphore, ReleaseNWakesNWaiters) {
  Semaphore s(0);
  constexpr int kWaiters = 6;
  std::atomic<int> got{0};
  std::vector<Thread> threads;
  for (int i = 0; i < kWaiters; ++i)
    threads.emplace_back([&] {
      s.acquire();
      ++got;
    });
  for (auto& t : threads) t.start();
  s.release(4);
  while (got.load() < 4) std::this_thread::yield();
  Event().wait(10ms);  // a fifth must not get through
  EXPECT_EQ(got.load(), 4);
  s.release(2);
  for (auto& t : threads) t.join();
  EXPECT_EQ(got.load(), kWaiters);
  EXPECT_EQ(s.value(), 0u);
}

TEST(Semaphore, UnboundedReleaseAboveInitialIsAllowed) {
  Semaphore s(1);
  s.release();
  s.release(5);
  EXPECT_EQ(s.value(), 7u);
}

TEST(Semaphore, GuardsASlotWithScopedLock) {
  Semaphore slots(2);
  std::atomic<int> inside{0}, most{0};
  std::vector<Thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 200; ++k) {
        std::scoped_lock slot(slots);
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        --inside;
      }
    });
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 2);
  EXPECT_EQ(slots.value(), 2u);
}

TEST(Semaphore, TooLargeValuesAreRejected) {
  EXPECT_THROW(Semaphore(std::size_t{1} << 40), std::invalid_argument);
  Semaphore s(UINT32_MAX);
  EXPECT_THROW(s.release(), std::overflow_error);
}

TEST(BoundedSemaphore, ReleaseAboveInitialValueIsInvalidArgument) {
  BoundedSemaphore s(2);
  EXPECT_THROW(s.release(), std::invalid_argument);
  s.acquire();
  EXPECT_THROW(s.release(2), std::invalid_argument);  // would reach 3: nothing released
  EXPECT_EQ(s.value(), 1u);
  s.release();
  EXPECT_EQ(s.value(), 2u);
  EXPECT_THROW(s.unlock(), std::invalid_argument);
}

TEST(BoundedSemaphore, IsASemaphore) {
  BoundedSemaphore b(1);
  Semaphore& s = b;
  EXPECT_TRUE(s.acquire(true, 1s));
  EXPECT_FALSE(s.try_lock_for(1ms));
  s.release();
}
