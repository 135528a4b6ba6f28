// concur::queue: Python 3.13's shutdown() semantics, including callers blocked at the time.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <vector>

#include "concur/queue.hpp"
#include "concur/threading.hpp"
#include "support/leak_check.hpp"

using namespace std::chrono_literals;
using concur::queue::LifoQueue;
using concur::queue::Queue;
using concur::queue::ShutDown;
using concur::threading::Thread;

using concur::test::eventually;  // "the other thread is now blocked" checks

TEST(QueueShutdown, PutAfterShutdownThrowsShutDown) {
  Queue<int> q;
  q.shutdown();
  EXPECT_TRUE(q.is_shutdown());
  EXPECT_THROW(q.put(1), ShutDown);
  EXPECT_THROW(q.put_nowait(1), ShutDown);
  EXPECT_THROW(q.try_put(1), ShutDown);
}

TEST(QueueShutdown, GetDrainsThenThrowsShutDown) {
  Queue<int> q;
  q.put(1);
  q.put(2);
  q.shutdown();
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get_nowait(), 2);
  EXPECT_THROW(q.get(), ShutDown);
  EXPECT_THROW(q.get_nowait(), ShutDown);
  EXPECT_FALSE(q.try_get().has_value());
}

TEST(QueueShutdown, ImmediateDiscardsItemsAndReleasesJoin) {
  Queue<int> q;
  for (int i = 0; i < 5; ++i) q.put(i);
  q.get();  // one got but not task_done: join still waits for it
  q.shutdown(true);
  EXPECT_EQ(q.qsize(), 0u);
  EXPECT_THROW(q.get(), ShutDown);
  q.task_done();
  q.join();  // 4 discarded + 1 done: nothing unfinished
  EXPECT_THROW(q.task_done(), std::logic_error);
}

TEST(QueueShutdown, ImmediateWakesBlockedJoin) {
  LifoQueue<int> q;
  q.put(1);
  std::atomic<bool> joined{false};
  Thread t([&] {
    q.join();
    joined = true;
  });
  t.start();
  q.shutdown(true);
  t.join();
  EXPECT_TRUE(joined);
}

TEST(QueueShutdown, WakesBlockedGetters) {
  Queue<int> q;
  std::atomic<int> waiting{0}, shut{0};
  std::vector<Thread> getters;
  for (int i = 0; i < 3; ++i) {
    getters.emplace_back([&] {
      waiting.fetch_add(1);
      try {
        q.get();
      } catch (const ShutDown&) {
        shut.fetch_add(1);
      }
    });
    getters.back().start();
  }
  ASSERT_TRUE(eventually([&] { return waiting.load() == 3; }));
  q.shutdown();
  for (auto& t : getters) t.join();
  EXPECT_EQ(shut.load(), 3);
}

TEST(QueueShutdown, WakesBlockedPutters) {
  Queue<int> q(1);
  q.put(0);
  std::atomic<int> shut{0};
  std::latch started(2);
  std::vector<Thread> putters;
  for (int i = 0; i < 2; ++i) {
    putters.emplace_back([&] {
      started.count_down();
      try {
        q.put(1);
      } catch (const ShutDown&) {
        shut.fetch_add(1);
      }
    });
    putters.back().start();
  }
  started.wait();
  q.shutdown();
  for (auto& t : putters) t.join();
  EXPECT_EQ(shut.load(), 2);
  EXPECT_EQ(q.get(), 0);  // the item put before shutdown is still there
}

TEST(QueueShutdown, TimedGetterWakesWithShutDownNotEmpty) {
  Queue<int> q;
  std::latch started(1);
  bool got_shutdown = false;
  Thread t([&] {
    started.count_down();
    try {
      q.get(true, 30s);
    } catch (const ShutDown&) {
      got_shutdown = true;
    }
  });
  t.start();
  started.wait();
  q.shutdown();
  t.join();
  EXPECT_TRUE(got_shutdown);
}
