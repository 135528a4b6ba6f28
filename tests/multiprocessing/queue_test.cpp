// multiprocessing Queue, JoinableQueue and SimpleQueue across processes. Derived from
// CPython's Lib/test/_test_multiprocessing.py _TestQueue (put/get with block and timeout,
// qsize, task_done/join, closed queues, the feeder) — our own code.
#include <gtest/gtest.h>

#include <chrono>
#include <concur/multiprocessing.hpp>
#include <cstdint>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

namespace {
class QueueTest : public concur::test::NoLeakTest {};

constexpr int kSmallItems = 10 * 1024;  // x 1 KiB = 10 MiB

std::string item_of(int i) { return std::string(1024, static_cast<char>('a' + i % 26)); }

// A reader process's body: takes `producers * each` items tagged (producer << 32 | index) and
// puts how many arrived in their producer's order.
void count_in_order(mp::Queue<std::int64_t> in, mp::Queue<std::int64_t> out, int producers,
                    std::int64_t each) {
  std::vector<std::int64_t> next(static_cast<std::size_t>(producers), 0);
  std::int64_t in_order = 0;
  for (std::int64_t i = 0; i < producers * each; ++i) {
    const std::int64_t v = in.get(true, 30s);
    const auto who = static_cast<std::size_t>(v >> 32);
    if (who < next.size() && (v & 0xffffffff) == next[who]) {
      ++in_order;
      ++next[who];
    }
  }
  out.put(in_order);
}
}  // namespace

TEST_F(QueueTest, PutTenMiBBeforeAnyReaderReturnsAtOnce) {
  mp::Queue<std::string> q;
  for (int i = 0; i < kSmallItems; ++i) q.put(item_of(i));  // would hang on a bare pipe
  EXPECT_EQ(q.qsize(), static_cast<std::size_t>(kSmallItems));
  mp::Queue<long> result;
  mp::Process reader(
      [](mp::Queue<std::string> in, mp::Queue<long> out) {
        long ok = 0;
        for (int i = 0; i < kSmallItems; ++i) ok += in.get(true, 10s) == item_of(i) ? 1 : 0;
        out.put(ok);
      },
      q, result);
  reader.start();
  EXPECT_EQ(result.get(true, 30s), kSmallItems);
  reader.join();
  EXPECT_EQ(reader.exitcode(), 0);
  EXPECT_TRUE(q.empty());
}

TEST_F(QueueTest, ChildExitFlushesItsBufferedItems) {
  mp::Queue<std::string> q;
  mp::Process producer(
      [](mp::Queue<std::string> out) {
        for (int i = 0; i < kSmallItems; ++i) out.put(item_of(i));
      },  // returns at once; the feeder is flushed before the child exits
      q);
  producer.start();
  for (int i = 0; i < kSmallItems; ++i) ASSERT_EQ(q.get(true, 10s), item_of(i));
  producer.join();
  EXPECT_EQ(producer.exitcode(), 0);
  EXPECT_FALSE(q.try_get());
}

TEST_F(QueueTest, CancelJoinThreadLetsTheChildExitWithoutAReader) {
  mp::Queue<std::string> q;
  mp::Process producer(
      [](mp::Queue<std::string> out) {
        for (int i = 0; i < kSmallItems; ++i) out.put(item_of(i));
        out.cancel_join_thread();
      },
      q);
  producer.start();
  EXPECT_TRUE(producer.join_for(20s));  // nobody reads: without cancel_join_thread it would wait
  EXPECT_EQ(producer.exitcode(), 0);
  int got = 0;
  while (q.try_get()) ++got;
  EXPECT_GT(got, 0);
  EXPECT_LT(got, kSmallItems);  // the ring held some, the rest of the buffer was lost
}

TEST_F(QueueTest, BigItemsRoundTripIntact) {
  mp::Queue<std::vector<std::int64_t>> to_child, back;
  mp::Process echo(
      [](mp::Queue<std::vector<std::int64_t>> in, mp::Queue<std::vector<std::int64_t>> out) {
        for (int i = 0; i < 3; ++i) {
          auto v = in.get(true, 10s);
          for (auto& x : v) x *= 2;
          out.put(std::move(v));
        }
      },
      to_child, back);
  echo.start();
  std::vector<std::int64_t> big(1 << 19);  // 4 MiB: through a memfd
  std::iota(big.begin(), big.end(), 0);
  for (int i = 0; i < 3; ++i) to_child.put(big);
  for (int i = 0; i < 3; ++i) {
    auto v = back.get(true, 10s);
    ASSERT_EQ(v.size(), big.size());
    EXPECT_EQ(v[12345], 2 * 12345);
    EXPECT_EQ(v.back(), 2 * big.back());
  }
  echo.join();
}

TEST_F(QueueTest, BoundedQueueRaisesFullAfterItsTimeout) {
  mp::Queue<int> q(2);
  EXPECT_EQ(q.maxsize(), 2u);
  q.put(1);
  EXPECT_FALSE(q.full());
  q.put(2);
  EXPECT_TRUE(q.full());
  EXPECT_THROW(q.put(3, false), mp::Full);
  EXPECT_THROW(q.put_nowait(3), concur::queue::Full);  // the very same type
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(q.put(3, true, 50ms), mp::Full);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_FALSE(q.try_put(3));
  EXPECT_EQ(q.get(), 1);
  EXPECT_TRUE(q.try_put(3, 1s));
  EXPECT_EQ(q.qsize(), 2u);
}

TEST_F(QueueTest, PutWaitsForRoomMadeByAnotherProcess) {
  mp::Queue<int> q(1);
  q.put(0);
  mp::Process taker([](mp::Queue<int> in) { in.get(true, 10s); }, q);
  taker.start();
  q.put(1, true, 10s);  // blocks until the child took item 0
  taker.join();
  EXPECT_EQ(q.get_nowait(), 1);
}

TEST_F(QueueTest, GetRaisesEmptyAfterItsTimeout) {
  mp::Queue<int> q;
  EXPECT_TRUE(q.empty());
  EXPECT_THROW(q.get(false), mp::Empty);
  EXPECT_THROW(q.get_nowait(), concur::queue::Empty);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(q.get(true, 50ms), mp::Empty);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_FALSE(q.try_get(0ms));
  EXPECT_THROW(q.get(true, -1s), std::invalid_argument);
  EXPECT_THROW(q.put(1, true, -1s), std::invalid_argument);
}

TEST_F(QueueTest, ClosedQueueRejectsPutAndGet) {
  mp::Queue<int> q;
  EXPECT_THROW(q.join_thread(), std::logic_error);  // Python: assert closed
  q.put(1);
  q.close();
  q.join_thread();
  EXPECT_THROW(q.put(2), std::invalid_argument);
  EXPECT_THROW(q.get(), std::invalid_argument);
  mp::Queue<int> copy = q;  // copies share the handle's state, as one Python object
  EXPECT_THROW(copy.get(), std::invalid_argument);
}

TEST_F(QueueTest, CloseIsPerProcess) {
  mp::Queue<int> q;
  q.close();
  mp::Process p([](mp::Queue<int> out) { out.put(7); }, q);  // the child's handle is open
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(q.qsize(), 1u);
}

TEST_F(QueueTest, ManyProducersAndConsumersLoseAndDuplicateNothing) {
  mp::Queue<int> q(64);
  mp::Queue<std::vector<int>> results;
  std::vector<mp::Process> procs;
  for (int id = 0; id < 2; ++id)
    procs.emplace_back(
        [](mp::Queue<int> out, int base) {
          for (int i = 0; i < 2000; ++i) out.put(base + i);
        },
        q, id * 2000);
  for (int c = 0; c < 2; ++c)
    procs.emplace_back(
        [](mp::Queue<int> in, mp::Queue<std::vector<int>> out) {
          std::vector<int> got;
          for (;;) {
            const int v = in.get(true, 10s);
            if (v < 0) break;
            got.push_back(v);
          }
          out.put(got);
        },
        q, results);
  for (auto& p : procs) p.start();
  procs[0].join();
  procs[1].join();
  q.put(-1);
  q.put(-1);
  std::multiset<int> all;
  for (int c = 0; c < 2; ++c)
    for (int v : results.get(true, 10s)) all.insert(v);
  for (auto& p : procs) p.join();
  ASSERT_EQ(all.size(), 4000u);
  EXPECT_EQ(std::set<int>(all.begin(), all.end()).size(), 4000u);
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), 3999);
}

// put() goes straight into the ring while nothing of this process is buffered, and through
// the feeder (which pushes in batches) while something is: a thread's items must still reach
// the reader in the order it put them, whichever way each one went. 2 x 60,000 items overflow
// the ring (8,192 of them fit) many times while a reader drains it concurrently.
TEST_F(QueueTest, EachThreadsItemsArriveInItsOrderWhileTheRingFillsAndDrains) {
  constexpr std::int64_t kPerThread = 60'000;
  mp::Queue<std::int64_t> q;
  mp::Queue<std::int64_t> result;
  mp::Process reader(&count_in_order, q, result, 2, kPerThread);
  reader.start();
  auto produce = [&q](std::int64_t thread) {
    for (std::int64_t i = 0; i < kPerThread; ++i) q.put(thread << 32 | i);
  };
  std::thread other(produce, 1);
  produce(0);
  other.join();
  EXPECT_EQ(result.get(true, 60s), 2 * kPerThread);
  reader.join();
  EXPECT_EQ(reader.exitcode(), 0);
  EXPECT_TRUE(q.empty());
}

// A thread that puts many items in a row takes the ring's push lease and then pushes without a
// lock (queue_impl.hpp). A holder that went idle — or died — must not stop anyone else: another
// producer revokes the lease. Here a child takes the lease, parks, and is killed; the parent's
// puts (and the child's items) still all arrive, each producer's in its order.
TEST_F(QueueTest, AProducerThatHeldTheLeaseAndWentIdleOrDiedStopsNoOtherProducer) {
  constexpr std::int64_t kEach = 500;  // far more than the pushes in a row that take the lease
  mp::Queue<std::int64_t> q;
  mp::Event parked, never;
  mp::Process holder(
      [](mp::Queue<std::int64_t> out, mp::Event done, mp::Event wait_forever) {
        for (std::int64_t i = 0; i < kEach; ++i) out.put(i);
        done.set();
        wait_forever.wait();
      },
      q, parked, never);
  holder.start();
  ASSERT_TRUE(parked.wait(30s));
  for (std::int64_t i = 0; i < kEach; ++i) q.put(1'000'000 + i);  // revokes a live, idle holder
  std::int64_t next_child = 0, next_parent = 1'000'000;
  for (std::int64_t i = 0; i < 2 * kEach; ++i) {
    const std::int64_t v = q.get(true, 10s);
    std::int64_t& next = v >= 1'000'000 ? next_parent : next_child;
    ASSERT_EQ(v, next);
    ++next;
  }
  holder.kill();
  holder.join();
  for (std::int64_t i = 0; i < kEach; ++i) q.put(i);  // the lease went back to this process
  ASSERT_TRUE(parked.is_set());
  mp::Process again([](mp::Queue<std::int64_t> out) { out.put(-1); }, q);  // revokes the parent
  again.start();
  again.join();
  EXPECT_EQ(again.exitcode(), 0);
  for (std::int64_t i = 0; i < kEach; ++i) ASSERT_EQ(q.get(true, 10s), i);
  EXPECT_EQ(q.get(true, 10s), -1);
  EXPECT_TRUE(q.empty());
}

// Three producers that each put in bursts long enough to take the push lease, so the lease is
// revoked again and again while its holder may be mid-push, with a third pusher waiting in
// shared mode: every item arrives exactly once, each producer's in its order.
TEST_F(QueueTest, ProducersTakingAndRevokingTheLeaseLoseReorderAndDuplicateNothing) {
  constexpr std::int64_t kPerProducer = 30'000, kBurst = 200;
  mp::Queue<std::int64_t> q;
  mp::Queue<std::int64_t> result;
  mp::Process reader(&count_in_order, q, result, 3, kPerProducer);
  reader.start();
  const auto produce = [](mp::Queue<std::int64_t> out, std::int64_t who) {
    for (std::int64_t i = 0; i < kPerProducer; ++i) {
      out.put(who << 32 | i);
      if (i % kBurst == kBurst - 1) std::this_thread::yield();  // let another take over
    }
  };
  mp::Process other(produce, q, std::int64_t{2});  // a producer in another process
  other.start();
  std::thread second(produce, q, 1);
  produce(q, 0);
  second.join();
  other.join();
  EXPECT_EQ(other.exitcode(), 0);
  EXPECT_EQ(result.get(true, 60s), 3 * kPerProducer);
  reader.join();
  EXPECT_EQ(reader.exitcode(), 0);
  EXPECT_TRUE(q.empty());
}

// After its buffer empties the feeder thread waits a few ms for more work (a producer ahead of
// its readers overflows the ring again and again), so the second overflow below is handed to
// the same idle thread. Dropping the last handle must still end that idle thread at once: it
// holds the queue, so otherwise the queue's fds would stay open while it waits.
TEST_F(QueueTest, AnIdleFeederTakesTheNextOverflowAndEndsWithTheLastHandle) {
  constexpr std::int64_t kItems = 10'000;  // the ring holds 8,192 of them
  const std::set<int> fds_before = concur::test::open_fds();
  {
    mp::Queue<std::int64_t> q;
    for (int round = 0; round < 2; ++round) {
      for (std::int64_t i = 0; i < kItems; ++i) q.put(i);
      std::int64_t in_order = 0;
      for (std::int64_t i = 0; i < kItems; ++i) in_order += q.get(true, 10s) == i ? 1 : 0;
      ASSERT_EQ(in_order, kItems);
    }
    EXPECT_TRUE(q.empty());
  }
  EXPECT_EQ(concur::test::open_fds(), fds_before);  // no wait: the handle's release joined it
}

TEST_F(QueueTest, JoinableQueueJoinWaitsForTaskDoneInOtherProcesses) {
  mp::JoinableQueue<int> tasks;
  mp::SharedArray<std::int64_t> sum(1);
  std::vector<mp::Process> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back(
        [](mp::JoinableQueue<int> in, mp::SharedArray<std::int64_t> total) {
          for (;;) {
            const int v = in.get(true, 10s);
            if (v < 0) {
              in.task_done();
              return;
            }
            __atomic_fetch_add(&total[0], v, __ATOMIC_SEQ_CST);
            in.task_done();
          }
        },
        tasks, sum);
  for (auto& w : workers) w.start();
  for (int i = 1; i <= 1000; ++i) tasks.put(i);
  tasks.join();  // every item task_done(): the sum is complete
  EXPECT_EQ(__atomic_load_n(&sum[0], __ATOMIC_SEQ_CST), 1000 * 1001 / 2);
  for (int w = 0; w < 4; ++w) tasks.put(-1);
  tasks.join();
  for (auto& w : workers) w.join();
  EXPECT_THROW(tasks.task_done(), std::invalid_argument);  // Python: ValueError
}

TEST_F(QueueTest, ItemsCarryHandles) {
  mp::Queue<mp::SharedArray<int>> q;
  mp::Queue<mp::Queue<int>> qq;
  mp::Process p(
      [](mp::Queue<mp::SharedArray<int>> in, mp::Queue<mp::Queue<int>> inq) {
        auto a = in.get(true, 10s);
        a[3] = 42;
        inq.get(true, 10s).put(a[3] + 1);
      },
      q, qq);
  p.start();
  mp::SharedArray<int> arr(8);
  mp::Queue<int> reply;
  q.put(arr);
  qq.put(reply);
  EXPECT_EQ(reply.get(true, 10s), 43);
  EXPECT_EQ(arr[3], 42);
  p.join();
}

TEST_F(QueueTest, SimpleQueueBetweenProcesses) {
  mp::SimpleQueue<std::string> q;
  EXPECT_TRUE(q.empty());
  mp::Process p([](mp::SimpleQueue<std::string> out) { out.put("hi"); }, q);
  p.start();
  EXPECT_EQ(q.get(), "hi");
  p.join();
  q.close();
  EXPECT_THROW(q.put("x"), std::invalid_argument);
}
