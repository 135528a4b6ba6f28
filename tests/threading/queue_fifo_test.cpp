// concur::queue::Queue's engine (threading_fifo_queue.hpp): items cross segment boundaries in
// order, every object is destroyed exactly once (left in the queue, discarded by shutdown, or got),
// bounds larger than a segment hold, and a throwing move leaves the queue consistent.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

#include "concur/queue.hpp"
#include "concur/threading.hpp"

using namespace std::chrono_literals;
using concur::queue::Full;
using concur::queue::Queue;
using concur::queue::ShutDown;
using concur::threading::Thread;

namespace {

// Counts live instances; may be told to throw on its next move construction.
struct Tracked {
  static inline std::atomic<int> live{0};
  static inline bool throw_on_move = false;
  int value = 0;
  explicit Tracked(int v) : value(v) { ++live; }
  Tracked(Tracked&& o) : value(o.value) {
    if (throw_on_move) {
      throw_on_move = false;
      throw std::runtime_error("move failed");
    }
    ++live;
  }
  Tracked(const Tracked&) = delete;
  ~Tracked() { --live; }
};

}  // namespace

TEST(QueueFifo, OrderHoldsAcrossManySegments) {
  Queue<int> q;
  constexpr int kN = 100'000;  // many 4096-int segments, refilled while partly consumed
  int next_get = 0;
  for (int i = 0; i < kN; ++i) {
    q.put(i);
    if (i % 3 == 0) {
      ASSERT_EQ(q.get(), next_get++);
    }
  }
  EXPECT_EQ(q.qsize(), static_cast<std::size_t>(kN - next_get));
  while (next_get < kN) ASSERT_EQ(q.get(), next_get++);
  EXPECT_TRUE(q.empty());
}

TEST(QueueFifo, DestroysItemsLeftInsideExactlyOnce) {
  {
    Queue<Tracked> q;
    for (int i = 0; i < 3000; ++i) q.put(Tracked(i));  // several segments
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(q.get().value, i);
    EXPECT_EQ(Tracked::live.load(), 2000);
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

TEST(QueueFifo, ImmediateShutdownDestroysEverythingAndReleasesJoin) {
  {
    Queue<Tracked> q;
    for (int i = 0; i < 2500; ++i) q.put(Tracked(i));
    q.get();
    q.task_done();
    q.shutdown(true);
    EXPECT_EQ(Tracked::live.load(), 0);
    q.join();  // every unfinished task was discounted
    EXPECT_THROW(q.get(), ShutDown);
    EXPECT_EQ(q.qsize(), 0u);
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

TEST(QueueFifo, ThrowingMoveOnPutLeavesTheQueueUsable) {
  Queue<Tracked> q;
  for (int i = 0; i < 1000; ++i) q.put(Tracked(i));  // the next put starts a segment? either way
  Tracked::throw_on_move = true;
  EXPECT_THROW(q.put(Tracked(-1)), std::runtime_error);
  q.put(Tracked(1000));
  for (int i = 0; i <= 1000; ++i) EXPECT_EQ(q.get().value, i);
  EXPECT_TRUE(q.empty());
}

TEST(QueueFifo, BoundLargerThanASegmentHolds) {
  constexpr std::size_t kMax = 10'000;
  Queue<int> q(kMax);
  for (std::size_t i = 0; i < kMax; ++i) q.put_nowait(static_cast<int>(i));
  EXPECT_TRUE(q.full());
  EXPECT_THROW(q.put_nowait(-1), Full);
  EXPECT_FALSE(q.try_put(-1, 1ms));
  Thread consumer([&] {
    for (std::size_t i = 0; i < 2 * kMax; ++i)
      if (q.get() != static_cast<int>(i)) throw std::runtime_error("out of order");
  });
  consumer.start();
  for (std::size_t i = kMax; i < 2 * kMax; ++i) q.put(static_cast<int>(i));  // waits for room
  consumer.join();
  EXPECT_TRUE(q.empty());
}

TEST(QueueFifo, BigMoveOnlyItemsCrossSegments) {
  Queue<std::unique_ptr<std::string>> q;
  Thread producer([&] {
    for (int i = 0; i < 5000; ++i) q.put(std::make_unique<std::string>(std::to_string(i)));
  });
  producer.start();
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(*q.get(), std::to_string(i));
  producer.join();
}

TEST(QueueFifo, TaskDoneCountsAgainstEveryPut) {
  Queue<int> q;
  q.put(1);
  q.put(2);
  q.get();
  q.task_done();
  q.get();
  q.task_done();
  EXPECT_THROW(q.task_done(), std::logic_error);
  q.join();
}
