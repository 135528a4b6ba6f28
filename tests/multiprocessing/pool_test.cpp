// Pool's verbs: results, order, chunking, exceptions, close/join.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <concur/multiprocessing.hpp>
#include <list>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/leak_check.hpp"
#include "support/tasks.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

namespace {

using concur::test::twice;

struct Point {
  int x = 0, y = 0;
  std::string name;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(x, y, name);
  }
};

std::vector<int> iota(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

class PoolTest : public concur::test::NoLeakTest {};

}  // namespace

TEST_F(PoolTest, MapReturnsResultsInOrder) {
  mp::Pool pool(2);
  const auto items = iota(1000);
  const std::vector<int> out = pool.map(&twice, items);
  ASSERT_EQ(out.size(), items.size());
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], 2 * items[i]);
}

TEST_F(PoolTest, MapAcceptsCapturelessLambdasAndAnyChunksize) {
  mp::Pool pool(2);
  for (std::size_t chunk : {1u, 3u, 7u, 1000u}) {
    auto out = pool.map([](int x) { return std::to_string(x); }, iota(50), chunk);
    ASSERT_EQ(out.size(), 50u);
    EXPECT_EQ(out[49], "49");
  }
}

TEST_F(PoolTest, MapOfEmptyRangeIsEmpty) {
  mp::Pool pool(1);
  EXPECT_TRUE(pool.map(&twice, std::vector<int>{}).empty());
}

TEST_F(PoolTest, MapTakesUnsizedRangesAndUserTypes) {
  mp::Pool pool(2);
  std::list<Point> pts{{1, 2, "a"}, {3, 4, "b"}};
  auto out = pool.map([](Point p) { return Point{p.y, p.x, p.name + "!"}; }, pts);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].x, 4);
  EXPECT_EQ(out[1].name, "b!");
}

TEST_F(PoolTest, StarmapUnpacksTuples) {
  mp::Pool pool(2);
  std::vector<std::tuple<int, std::string>> args{{2, "ab"}, {3, "x"}};
  auto out = pool.starmap(
      [](int n, std::string s) {
        std::string r;
        for (int i = 0; i < n; ++i) r += s;
        return r;
      },
      args);
  EXPECT_EQ(out, (std::vector<std::string>{"abab", "xxx"}));
}

TEST_F(PoolTest, ImapYieldsInOrderLazily) {
  mp::Pool pool(2);
  std::vector<int> got;
  for (int r : pool.imap(&twice, iota(100))) got.push_back(r);
  std::vector<int> want;
  for (int i = 0; i < 100; ++i) want.push_back(2 * i);
  EXPECT_EQ(got, want);
}

TEST_F(PoolTest, ImapUnorderedYieldsEveryResult) {
  mp::Pool pool(2);
  std::multiset<int> got;
  auto it = pool.imap_unordered(&twice, iota(100), 3);
  while (auto r = it.try_next()) got.insert(*r);
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got.count(2 * i), 1u);
}

TEST_F(PoolTest, ApplyAsyncReturnsTheResult) {
  mp::Pool pool(2);
  auto r = pool.apply_async([](int a, std::string b) { return b + std::to_string(a); }, 7,
                            std::string("n="));
  EXPECT_EQ(r.get(), "n=7");
  EXPECT_TRUE(r.ready());
  EXPECT_TRUE(r.successful());
  EXPECT_EQ(r.get(), "n=7");  // get() again
}

TEST_F(PoolTest, ApplyAsyncOfVoidFunction) {
  mp::Pool pool(1);
  auto r = pool.apply_async([](int) {}, 1);
  r.get();
  EXPECT_TRUE(r.successful());
}

TEST_F(PoolTest, MapAsyncGetTimesOutThenSucceeds) {
  mp::Pool pool(1);
  auto [rd, wr] = mp::Pipe(false);
  // The task waits for a message from the test: get(timeout) must throw TimeoutError first.
  auto r = pool.map_async([](mp::Connection c) { return c.recv<int>(); }, std::vector{rd});
  EXPECT_THROW(r.get(10ms), mp::TimeoutError);
  EXPECT_FALSE(r.ready());
  EXPECT_THROW((void)r.successful(), std::invalid_argument);
  wr.send(5);
  EXPECT_EQ(r.get(), std::vector<int>{5});
  r.wait();
  EXPECT_TRUE(r.successful());
}

TEST_F(PoolTest, ApplyAsyncGetTimesOutThenSucceedsForEveryWaiter) {
  // One task on an idle pool goes straight to a worker, and a waiting thread reads the reply
  // itself: a timed-out get() must leave it readable, and a second waiter must see it too.
  mp::Pool pool(1);
  auto [rd, wr] = mp::Pipe(false);
  auto r = pool.apply_async([](mp::Connection c) { return c.recv<int>() * 2; }, rd);
  EXPECT_THROW(r.get(10ms), mp::TimeoutError);
  int other = 0;
  std::thread waiter([&r, &other] { other = r.get(); });
  EXPECT_THROW(r.get(10ms), mp::TimeoutError);
  wr.send(21);
  EXPECT_EQ(r.get(), 42);
  waiter.join();
  EXPECT_EQ(other, 42);
  EXPECT_EQ(pool.apply_async(&twice, 4).get(), 8);  // the worker is free again
}

TEST_F(PoolTest, StandardExceptionComesBackAsItsOwnType) {
  mp::Pool pool(2);
  try {
    pool.map(
        [](int x) -> int {
          if (x == 7) throw std::out_of_range("seven is out");
          return x;
        },
        iota(10), 1);
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "seven is out");
  }
  auto r = pool.apply_async([](int) -> int { throw 42; }, 1);
  r.wait();
  EXPECT_FALSE(r.successful());
  try {
    r.get();
    FAIL();
  } catch (const mp::RemoteError& e) {
    EXPECT_EQ(e.type, "int");
  }
  EXPECT_EQ(pool.map(&twice, std::vector{4}), std::vector{8});  // the pool goes on
}

TEST_F(PoolTest, ImapThrowsWhenReachingFailedItem) {
  mp::Pool pool(2);
  auto it = pool.imap(
      [](int x) -> int {
        if (x == 2) throw std::runtime_error("two");
        return x;
      },
      iota(4));
  EXPECT_EQ(it.next(), 0);
  EXPECT_EQ(it.next(), 1);
  EXPECT_THROW(it.next(), std::runtime_error);
  EXPECT_EQ(it.next(), 3);
  EXPECT_THROW(it.next(), mp::StopIteration);
}

TEST_F(PoolTest, CloseThenJoinFinishesQueuedWork) {
  mp::Pool pool(2);
  auto r = pool.map_async(&twice, iota(100), 1);
  EXPECT_THROW(pool.join(), std::invalid_argument);
  pool.close();
  EXPECT_THROW(pool.map(&twice, iota(3)), std::invalid_argument);
  pool.join();
  EXPECT_EQ(r.get().size(), 100u);
  EXPECT_TRUE(pool.pids().empty());
}

TEST_F(PoolTest, TerminateFailsUnfinishedTasks) {
  mp::Pool pool(1);
  auto [rd, wr] = mp::Pipe(false);
  auto blocked = pool.apply_async([](mp::Connection c) { return c.recv<int>(); }, rd);
  auto queued = pool.apply_async(&twice, 1);
  pool.terminate();
  EXPECT_THROW(blocked.get(), mp::ProcessError);
  EXPECT_THROW(queued.get(), mp::ProcessError);
  pool.join();
}

TEST_F(PoolTest, MaxtasksperchildCountsChunksAsPython) {
  mp::Pool pool(1, {.maxtasksperchild = 1});
  auto pids = pool.map([](int) { return static_cast<int>(::getpid()); }, iota(9), 3);
  std::map<int, int> per_pid;
  for (int p : pids) ++per_pid[p];
  EXPECT_EQ(per_pid.size(), 3u);  // one worker per chunk of 3: chunksize is kept
  for (auto& [pid, n] : per_pid) EXPECT_EQ(n, 3) << pid;
}

TEST_F(PoolTest, MaxtasksperchildReplacesWorkersAfterThatManyTasks) {
  mp::Pool pool(1, {.maxtasksperchild = 2});
  auto pids = pool.map([](int) { return static_cast<int>(::getpid()); }, iota(5), 1);
  EXPECT_EQ(pids[0], pids[1]);
  EXPECT_NE(pids[1], pids[2]);
  EXPECT_EQ(pids[2], pids[3]);
  EXPECT_NE(pids[3], pids[4]);
}

TEST_F(PoolTest, DefaultSizeIsCpuCount) {
  mp::Pool pool;
  EXPECT_EQ(pool.processes(), mp::cpu_count());
  EXPECT_EQ(pool.pids().size(), mp::cpu_count());
}
