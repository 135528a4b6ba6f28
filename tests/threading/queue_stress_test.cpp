// concur::queue under load: many producers and consumers, every item conserved (count and sum).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "concur/queue.hpp"
#include "concur/threading.hpp"

using concur::queue::Queue;
using concur::queue::ShutDown;
using concur::threading::Thread;

namespace {

struct Totals {
  std::atomic<std::uint64_t> count{0}, sum{0};
};

// Producers put 1..per_producer each; consumers get until ShutDown. The queue is shut down
// (not immediately) after every producer finished, so consumers drain everything first.
template <class Q>
void run_mpmc(Q& q, int producers, int consumers, std::uint64_t per_producer, Totals& got) {
  std::vector<Thread> threads;
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&] {
      std::uint64_t n = 0, s = 0;
      try {
        for (;;) {
          s += q.get();
          ++n;
          q.task_done();
        }
      } catch (const ShutDown&) {
      }
      got.count += n;
      got.sum += s;
    });
  }
  std::vector<Thread> prods;
  for (int p = 0; p < producers; ++p)
    prods.emplace_back([&] {
      for (std::uint64_t i = 1; i <= per_producer; ++i) q.put(i);
    });
  for (auto& t : threads) t.start();
  for (auto& t : prods) t.start();
  for (auto& t : prods) t.join();
  q.join();  // every item got and task_done
  q.shutdown();
  for (auto& t : threads) t.join();
}

}  // namespace

TEST(QueueStress, UnboundedManyProducersManyConsumersConserveItems) {
  Queue<std::uint64_t> q;
  Totals got;
  const std::uint64_t per = 20000;
  run_mpmc(q, 4, 4, per, got);
  EXPECT_EQ(got.count.load(), 4 * per);
  EXPECT_EQ(got.sum.load(), 4 * per * (per + 1) / 2);
}

TEST(QueueStress, BoundedManyProducersManyConsumersConserveItems) {
  Queue<std::uint64_t> q(8);  // tiny bound: producers block often
  Totals got;
  const std::uint64_t per = 10000;
  run_mpmc(q, 3, 5, per, got);
  EXPECT_EQ(got.count.load(), 3 * per);
  EXPECT_EQ(got.sum.load(), 3 * per * (per + 1) / 2);
}

class QueueStressBound : public ::testing::TestWithParam<std::size_t> {};

TEST_P(QueueStressBound, TimedAndTryFormsConserveItems) {
  Queue<std::uint64_t> q(GetParam());
  const std::uint64_t per = 5000;
  std::atomic<std::uint64_t> count{0}, sum{0};
  std::atomic<int> producers_left{2};
  std::vector<Thread> threads;
  for (int p = 0; p < 2; ++p)
    threads.emplace_back([&] {
      for (std::uint64_t i = 1; i <= per; ++i)
        while (!q.try_put(i, std::chrono::milliseconds(1))) {
        }
      producers_left.fetch_sub(1);
    });
  for (int c = 0; c < 3; ++c)
    threads.emplace_back([&] {
      for (;;) {
        if (auto v = q.try_get(std::chrono::milliseconds(1))) {
          count += 1;
          sum += *v;
        } else if (producers_left.load() == 0 && q.empty()) {
          return;
        }
      }
    });
  for (auto& t : threads) t.start();
  for (auto& t : threads) t.join();
  EXPECT_EQ(count.load(), 2 * per);
  EXPECT_EQ(sum.load(), 2 * per * (per + 1) / 2);
}

INSTANTIATE_TEST_SUITE_P(BoundedAndUnbounded, QueueStressBound, ::testing::Values(4u, 0u));

TEST(QueueStress, ImmediateShutdownAccountsForEveryItem) {
  // Whatever was got before shutdown(true) plus what it discarded equals what was put.
  Queue<std::uint64_t> q;
  std::atomic<std::uint64_t> got{0}, put{0};
  std::vector<Thread> threads;
  for (int p = 0; p < 2; ++p)
    threads.emplace_back([&] {
      try {
        for (;;) {
          q.put(1);
          put += 1;
        }
      } catch (const ShutDown&) {
      }
    });
  for (int c = 0; c < 2; ++c)
    threads.emplace_back([&] {
      try {
        for (;;) {
          got += q.get();
          q.task_done();
        }
      } catch (const ShutDown&) {
      }
    });
  for (auto& t : threads) t.start();
  while (got.load() < 20000) std::this_thread::yield();
  q.shutdown(true);
  for (auto& t : threads) t.join();
  q.join();  // discarded items were discounted: join returns
  EXPECT_LE(got.load(), put.load());
  EXPECT_TRUE(q.empty());
}
