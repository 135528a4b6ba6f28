// futures::wait() and futures::as_completed(), after CPython's test_wait.py and
// test_as_completed.py: completion orders are forced (futures completed by the test, in a chosen
// order, or released by latches), never by sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <latch>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "futures/future_makers.hpp"

using namespace std::chrono_literals;
using concur::futures::Future;
namespace futures = concur::futures;

namespace {

using concur::test::cancelled;
using concur::test::failed;
using concur::test::finished;

template <class T>
bool contains(const std::vector<Future<T>>& v, const Future<T>& f) {
  return std::find(v.begin(), v.end(), f) != v.end();
}

template <class T>
void until_a_waiter_listens(const Future<T>& f) {
  while (!(f.state_ptr()->word() & futures::detail::flag::listeners)) std::this_thread::yield();
}

}  // namespace

TEST(Wait, FirstCompletedReturnsWhenOneCompletes) {
  Future<int> f1, f2;
  std::thread t([f2]() mutable {
    until_a_waiter_listens(f2);
    f2.set_result(2);
  });
  auto [done, not_done] = futures::wait({f1, f2}, 30s, futures::FIRST_COMPLETED);
  t.join();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0] == f2);
  ASSERT_EQ(not_done.size(), 1u);
  EXPECT_TRUE(not_done[0] == f1);
  f1.cancel();
}

TEST(Wait, FirstCompletedSomeAlreadyCompletedReturnsAtOnce) {
  auto c = cancelled(), s = finished(42);
  Future<int> pending;
  auto r = futures::wait({c, s, pending}, std::nullopt, futures::FIRST_COMPLETED);
  EXPECT_EQ(r.done.size(), 2u);
  EXPECT_TRUE(contains(r.done, c) && contains(r.done, s));
  EXPECT_EQ(r.not_done.size(), 1u);
}

TEST(Wait, FirstExceptionReturnsOnTheFailureNotBefore) {
  auto s = finished(1);
  Future<int> fails, never;
  Future<int> other;
  std::thread t([=]() mutable {
    until_a_waiter_listens(fails);
    other.set_result(3);  // a success does not end a FIRST_EXCEPTION wait
    fails.set_exception(std::make_exception_ptr(std::runtime_error("x")));
  });
  auto r = futures::wait({s, fails, never, other}, 30s, futures::FIRST_EXCEPTION);
  t.join();
  EXPECT_EQ(r.done.size(), 3u);
  EXPECT_TRUE(contains(r.done, fails));
  ASSERT_EQ(r.not_done.size(), 1u);
  EXPECT_TRUE(r.not_done[0] == never);
}

TEST(Wait, FirstExceptionWithOneAlreadyFailedReturnsAtOnce) {
  Future<int> pending;
  auto f = failed();
  auto r = futures::wait({finished(1), f, pending}, std::nullopt, futures::FIRST_EXCEPTION);
  EXPECT_EQ(r.done.size(), 2u);
  EXPECT_EQ(r.not_done.size(), 1u);
}

TEST(Wait, FirstExceptionWithoutFailureWaitsForAllAndCancelledIsNoFailure) {
  Future<int> a, b;
  std::thread t([=]() mutable {
    until_a_waiter_listens(b);
    a.set_result(1);
    b.cancel();
  });
  auto r = futures::wait({cancelled(), a, b}, 30s, futures::FIRST_EXCEPTION);
  t.join();
  EXPECT_EQ(r.done.size(), 3u);
  EXPECT_TRUE(r.not_done.empty());
}

TEST(Wait, AllCompletedWaitsForEveryFuture) {
  std::vector<Future<int>> fs(5);
  std::thread t([fs]() mutable {
    until_a_waiter_listens(fs[4]);
    for (int i : {3, 0, 4, 1, 2}) fs[static_cast<std::size_t>(i)].set_result(i);
  });
  auto r = futures::wait(fs);
  t.join();
  EXPECT_EQ(r.done.size(), 5u);
  EXPECT_TRUE(r.not_done.empty());
  for (std::size_t i = 0; i < 5; ++i) EXPECT_TRUE(r.done[i] == fs[i]);  // the order of fs
}

TEST(Wait, TimeoutReturnsWhatIsDoneWithoutThrowing) {
  Future<int> pending;
  auto s = finished(1);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = futures::wait({s, pending}, 20ms);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  EXPECT_EQ(r.done.size(), 1u);
  EXPECT_EQ(r.not_done.size(), 1u);
  EXPECT_THROW(futures::wait({pending}, -1s), std::invalid_argument);
}

TEST(Wait, DuplicatesCollapseAndEmptyReturnsAtOnce) {
  auto s = finished(1);
  auto r = futures::wait({s, s, s});
  EXPECT_EQ(r.done.size(), 1u);
  auto e = futures::wait(std::vector<Future<int>>{}, std::nullopt, futures::FIRST_COMPLETED);
  EXPECT_TRUE(e.done.empty() && e.not_done.empty());
}

TEST(AsCompleted, AlreadyDoneFirstThenInCompletionOrder) {
  std::vector<Future<int>> fs(3);
  auto c = cancelled(), e = failed(), s = finished(42);
  std::vector<Future<int>> all{fs[0], c, fs[1], e, fs[2], s};
  auto range = futures::as_completed(all);
  // Completed after the range was made, in the order 2, 0, 1.
  fs[2].set_result(2);
  fs[0].set_result(0);
  fs[1].set_result(1);
  std::vector<Future<int>> order;
  for (const auto& f : range) order.push_back(f);
  ASSERT_EQ(order.size(), 6u);
  EXPECT_TRUE(order[0] == c && order[1] == e && order[2] == s);  // done at the call, in input order
  EXPECT_TRUE(order[3] == fs[2] && order[4] == fs[0] && order[5] == fs[1]);
}

TEST(AsCompleted, YieldsAsAnotherThreadCompletesOneByOne) {
  std::vector<Future<int>> fs(4);
  std::vector<int> order;
  std::thread completer([fs]() mutable {
    for (int i : {1, 3, 0, 2}) {
      until_a_waiter_listens(fs[static_cast<std::size_t>(i)]);
      fs[static_cast<std::size_t>(i)].set_result(i);
    }
  });
  for (const auto& f : futures::as_completed(fs, 30s)) order.push_back(f.result());
  completer.join();
  EXPECT_EQ(order, (std::vector<int>{1, 3, 0, 2}));
}

TEST(AsCompleted, TimeoutAfterTheDoneOnesNamesTheUnfinished) {
  Future<int> pending;
  auto a = finished(1), b = finished(2);
  std::vector<int> seen;
  try {
    for (const auto& f : futures::as_completed({a, pending, b}, 10ms)) seen.push_back(f.result());
    FAIL();
  } catch (const concur::TimeoutError& e) {
    EXPECT_STREQ(e.what(), "1 (of 3) futures unfinished");
  }
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
}

TEST(AsCompleted, ZeroTimeoutYieldsTheDoneOnes) {
  std::vector<int> seen;
  for (const auto& f : futures::as_completed({finished(1), finished(2)}, 0s))
    seen.push_back(f.result());
  EXPECT_EQ(seen.size(), 2u);
}

TEST(AsCompleted, DuplicatesYieldedOnce) {
  Future<int> f;
  auto range = futures::as_completed({f, f, f});
  EXPECT_EQ(range.size(), 1u);
  f.set_result(1);
  int n = 0;
  for (const auto& g : range) n += g.result();
  EXPECT_EQ(n, 1);
}

TEST(AsCompleted, LeftEarlyThenFuturesCompleteLater) {
  std::vector<Future<int>> fs(3);
  fs[0].set_result(0);
  {
    auto range = futures::as_completed(fs);
    for (const auto& f : range) {
      EXPECT_EQ(f.result(), 0);
      break;  // the waiter leaves fs[1], fs[2] registered until the range dies
    }
  }
  fs[1].set_result(1);  // nobody listens any more (ASan checks no freed waiter is touched)
  fs[2].set_result(2);
  EXPECT_FALSE(fs[2].state_ptr()->word() & futures::detail::flag::listeners);
}

TEST(AsCompleted, ThreadPoolFuturesEachYieldedOnce) {
  futures::ThreadPoolExecutor pool(2);
  std::vector<Future<int>> fs;
  for (int i = 0; i < 2000; ++i) fs.push_back(pool.submit([i] { return i; }));
  std::set<int> seen;
  for (const auto& f : futures::as_completed(fs, 30s)) ASSERT_TRUE(seen.insert(f.result()).second);
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(AsCompleted, CompletionsFromTwoThreadsRacingTheConsumer) {
  for (int round = 0; round < 20; ++round) {
    std::vector<Future<int>> fs(200);
    std::latch go(3);
    auto complete = [&](std::size_t from) {
      go.arrive_and_wait();
      for (std::size_t i = from; i < fs.size(); i += 2) fs[i].set_result(static_cast<int>(i));
    };
    auto range = futures::as_completed(fs, 30s);
    std::thread a(complete, 0), b(complete, 1);
    go.arrive_and_wait();
    std::set<int> seen;
    for (const auto& f : range) ASSERT_TRUE(seen.insert(f.result()).second);
    a.join();
    b.join();
    ASSERT_EQ(seen.size(), 200u);
  }
}

TEST(AsCompleted, IsAnInputRange) {
  static_assert(std::ranges::input_range<futures::AsCompleted<int>>);
  static_assert(std::same_as<std::ranges::range_value_t<futures::AsCompleted<int>>, Future<int>>);
}
