// concur::queue: ordering, bounds, blocking/non-blocking/timed forms, task_done/join.
#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <memory>
#include <string>
#include <thread>

#include "concur/queue.hpp"
#include "concur/threading.hpp"

using namespace std::chrono_literals;
using concur::queue::Empty;
using concur::queue::Full;
using concur::queue::LifoQueue;
using concur::queue::PriorityQueue;
using concur::queue::Queue;
using concur::queue::SimpleQueue;

TEST(Queue, IsFifo) {
  Queue<int> q;
  for (int i = 0; i < 200; ++i) q.put(i);  // crosses the ring's growth
  EXPECT_EQ(q.qsize(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(q.get(), i);
  EXPECT_TRUE(q.empty());
}

TEST(Queue, FifoSurvivesWrapAround) {
  Queue<int> q;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 37; ++i) q.put(next_in++);
    for (int i = 0; i < 30; ++i) ASSERT_EQ(q.get(), next_out++);
  }
  while (!q.empty()) ASSERT_EQ(q.get(), next_out++);
  EXPECT_EQ(next_in, next_out);
}

TEST(LifoQueue, IsLifo) {
  LifoQueue<int> q;
  for (int i = 0; i < 5; ++i) q.put(i);
  for (int i = 4; i >= 0; --i) EXPECT_EQ(q.get(), i);
}

TEST(PriorityQueue, ReturnsSmallestFirstLikeHeapq) {
  PriorityQueue<std::pair<int, std::string>> q;
  q.put({3, "c"});
  q.put({1, "a"});
  q.put({2, "b"});
  EXPECT_EQ(q.get().second, "a");
  EXPECT_EQ(q.get().second, "b");
  EXPECT_EQ(q.get().second, "c");
}

TEST(PriorityQueue, HonoursCustomCompare) {
  PriorityQueue<int, std::greater<int>> q;
  for (int v : {2, 9, 4}) q.put(v);
  EXPECT_EQ(q.get(), 9);
  EXPECT_EQ(q.get(), 4);
}

TEST(SimpleQueue, IsUnboundedFifo) {
  SimpleQueue<int> q;
  for (int i = 0; i < 1000; ++i) q.put_nowait(i);
  EXPECT_EQ(q.qsize(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(q.get_nowait(), i);
  EXPECT_THROW(q.get_nowait(), Empty);
  EXPECT_FALSE(q.try_get().has_value());
}

TEST(Queue, HoldsMoveOnlyItems) {
  Queue<std::unique_ptr<int>> q(1);
  q.put(std::make_unique<int>(7));
  EXPECT_FALSE(q.try_put(std::make_unique<int>(8)));
  auto p = q.get();
  EXPECT_EQ(*p, 7);
}

TEST(Queue, NonBlockingFormsThrowFullAndEmpty) {
  Queue<int> q(2);
  EXPECT_EQ(q.maxsize(), 2u);
  EXPECT_THROW(q.get_nowait(), Empty);
  EXPECT_THROW(q.get(false), Empty);
  q.put_nowait(1);
  q.put(2, false);
  EXPECT_TRUE(q.full());
  EXPECT_THROW(q.put_nowait(3), Full);
  EXPECT_THROW(q.put(3, false), Full);
  EXPECT_EQ(q.qsize(), 2u);
}

TEST(Queue, TryFormsNeverThrowForFullOrEmpty) {
  Queue<int> q(1);
  EXPECT_FALSE(q.try_get().has_value());
  EXPECT_FALSE(q.try_get(1ms).has_value());
  EXPECT_TRUE(q.try_put(1));
  EXPECT_FALSE(q.try_put(2));
  EXPECT_FALSE(q.try_put(2, 1ms));
  EXPECT_EQ(q.try_get(), 1);
}

TEST(Queue, TimedGetThrowsEmptyAfterTimeout) {
  Queue<int> q;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(q.get(true, 20ms), Empty);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
}

TEST(Queue, TimedPutThrowsFullAfterTimeout) {
  Queue<int> q(1);
  q.put(1);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(q.put(2, true, 20ms), Full);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  EXPECT_THROW(q.put(2, true, 0s), Full);
}

TEST(Queue, NegativeTimeoutIsInvalidArgument) {
  Queue<int> q;
  EXPECT_THROW(q.get(true, -1s), std::invalid_argument);
  EXPECT_THROW(q.put(1, true, -1s), std::invalid_argument);
}

TEST(Queue, BlockingGetWakesOnPut) {
  Queue<int> q;
  concur::threading::Thread t([&] { q.put(42); });
  t.start();
  EXPECT_EQ(q.get(), 42);
  t.join();
}

TEST(Queue, BlockingPutWaitsForRoom) {
  Queue<int> q(1);
  q.put(1);
  std::latch about_to_put(1);
  concur::threading::Thread t([&] {
    about_to_put.count_down();
    q.put(2);  // blocks until the get below
  });
  t.start();
  about_to_put.wait();
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get(), 2);
  t.join();
}

TEST(Queue, TimedGetSucceedsWhenItemArrivesInTime) {
  Queue<int> q;
  concur::threading::Thread t([&] { q.put(5); });
  t.start();
  EXPECT_EQ(q.get(true, 10s), 5);
  t.join();
}

TEST(Queue, JoinWaitsForEveryTaskDone) {
  Queue<int> q;
  for (int i = 0; i < 10; ++i) q.put(i);
  std::atomic<int> done{0};
  concur::threading::Thread worker([&] {
    for (int i = 0; i < 10; ++i) {
      q.get();
      done.fetch_add(1);
      q.task_done();
    }
  });
  worker.start();
  q.join();
  EXPECT_EQ(done.load(), 10);
  worker.join();
}

TEST(Queue, JoinReturnsAtOnceWhenNothingWasPut) {
  Queue<int> q;
  q.join();
  SUCCEED();
}

TEST(Queue, TaskDoneTooOftenIsLogicError) {
  Queue<int> q;
  EXPECT_THROW(q.task_done(), std::logic_error);
  q.put(1);
  q.get();
  q.task_done();
  EXPECT_THROW(q.task_done(), std::logic_error);
}
