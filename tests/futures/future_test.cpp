// concur::futures::Future on its own: Python's states, result/exception with timeouts,
// cancel, done-callbacks, the executor-writer API and std::future's spellings. Many cases follow
// CPython's Lib/test/test_concurrent_futures/test_future.py.
#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "concur/futures.hpp"
#include "futures/future_makers.hpp"

using namespace std::chrono_literals;
using concur::futures::CancelledError;
using concur::futures::Future;
using concur::futures::InvalidStateError;

namespace {

using concur::test::cancelled;
using concur::test::failed;
using concur::test::finished;

Future<int> running() {
  Future<int> f;
  f.set_running_or_notify_cancel();
  return f;
}

// Spins (no sleep) until a thread is asleep on `f`'s state word.
template <class T>
void until_a_waiter_sleeps(const Future<T>& f) {
  while (!(f.state_ptr()->word() & concur::futures::detail::flag::waiting))
    std::this_thread::yield();
}

}  // namespace

TEST(Future, StatesReportAsPython) {
  Future<int> pending;
  EXPECT_FALSE(pending.done());
  EXPECT_FALSE(pending.running());
  EXPECT_FALSE(pending.cancelled());
  auto r = running();
  EXPECT_TRUE(r.running());
  EXPECT_FALSE(r.done());
  auto c = cancelled();
  EXPECT_TRUE(c.cancelled());
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c.running());
  auto f = finished(42);
  EXPECT_TRUE(f.done());
  EXPECT_FALSE(f.running());
  EXPECT_FALSE(f.cancelled());
  EXPECT_TRUE(failed("x").done());
}

TEST(Future, CancelSucceedsOnlyWhilePending) {
  Future<int> f;
  EXPECT_TRUE(f.cancel());
  EXPECT_TRUE(f.cancel());  // already cancelled: still true
  EXPECT_FALSE(running().cancel());
  EXPECT_FALSE(finished(1).cancel());
  EXPECT_FALSE(failed("x").cancel());
}

TEST(Future, ResultAndExceptionOfEachState) {
  EXPECT_EQ(finished(42).result(), 42);
  EXPECT_EQ(finished(42).exception(), nullptr);
  EXPECT_THROW(cancelled().result(), CancelledError);
  EXPECT_THROW(cancelled().exception(), CancelledError);
  auto f = failed("boom");
  try {
    f.result();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
  ASSERT_NE(f.exception(), nullptr);
  EXPECT_THROW(std::rethrow_exception(f.exception()), std::runtime_error);
}

TEST(Future, ResultTimesOutOnPendingAndRunningFutures) {
  Future<int> pending;
  auto r = running();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(pending.result(20ms), concur::TimeoutError);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  EXPECT_THROW(r.result(0s), concur::futures::TimeoutError);
  EXPECT_THROW(pending.exception(1ms), concur::TimeoutError);
  EXPECT_THROW(pending.result(-1s), std::invalid_argument);
  EXPECT_EQ(pending.wait_for(1ms), std::future_status::timeout);
}

TEST(Future, ResultWakesASleepingWaiterWhenSetFromAnotherThread) {
  Future<std::string> f;
  std::thread setter([f]() mutable {
    until_a_waiter_sleeps(f);
    f.set_result("done");
  });
  EXPECT_EQ(f.result(30s), "done");
  setter.join();
}

TEST(Future, EveryWaiterWakesOnCompletion) {
  Future<int> f;
  std::vector<std::thread> waiters;
  std::atomic<int> sum{0};
  for (int i = 0; i < 4; ++i) waiters.emplace_back([f, &sum] { sum += f.result(); });
  until_a_waiter_sleeps(f);
  f.set_result(5);
  for (auto& t : waiters) t.join();
  EXPECT_EQ(sum.load(), 20);
}

TEST(Future, ResultRaisesCancelledErrorWhenCancelledWhileWaiting) {
  Future<int> f;
  std::thread canceller([f]() mutable {
    until_a_waiter_sleeps(f);
    f.cancel();
  });
  EXPECT_THROW(f.result(30s), CancelledError);
  canceller.join();
}

TEST(Future, ExceptionWaitsForAFailure) {
  Future<int> f;
  std::thread setter([f]() mutable {
    until_a_waiter_sleeps(f);
    f.set_exception(std::make_exception_ptr(std::out_of_range("oops")));
  });
  auto e = f.exception(30s);
  setter.join();
  EXPECT_THROW(std::rethrow_exception(e), std::out_of_range);
}

TEST(Future, SettersRefuseADoneFuture) {
  auto f = finished(1);
  EXPECT_THROW(f.set_result(2), InvalidStateError);
  EXPECT_THROW(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
               InvalidStateError);
  EXPECT_EQ(f.result(), 1);
  auto c = cancelled();
  EXPECT_THROW(c.set_result(2), InvalidStateError);
  auto e = failed("x");
  EXPECT_THROW(e.set_result(3), InvalidStateError);
  Future<int> p;
  EXPECT_THROW(p.set_exception(nullptr), std::invalid_argument);
}

TEST(Future, SetRunningOrNotifyCancel) {
  Future<int> f;
  EXPECT_TRUE(f.set_running_or_notify_cancel());
  EXPECT_TRUE(f.running());
  EXPECT_THROW(f.set_running_or_notify_cancel(), InvalidStateError);  // already running
  f.set_result(7);  // a running future may be completed (the executor does this)
  EXPECT_EQ(f.result(), 7);
  EXPECT_THROW(f.set_running_or_notify_cancel(), InvalidStateError);
  auto c = cancelled();
  EXPECT_FALSE(c.set_running_or_notify_cancel());
}

TEST(Future, DoneCallbackSeesResultExceptionOrCancel) {
  int seen = 0;
  Future<int> f;
  f.add_done_callback([&](const Future<int>& d) { seen = d.result(); });
  EXPECT_EQ(seen, 0);
  f.set_result(5);
  EXPECT_EQ(seen, 5);

  std::exception_ptr error;
  Future<int> g;
  g.add_done_callback([&](const Future<int>& d) { error = d.exception(); });
  g.set_exception(std::make_exception_ptr(std::runtime_error("test")));
  EXPECT_NE(error, nullptr);

  bool was_cancelled = false;
  Future<int> h;
  h.add_done_callback([&](const Future<int>& d) { was_cancelled = d.cancelled(); });
  EXPECT_TRUE(h.cancel());
  EXPECT_TRUE(was_cancelled);
}

TEST(Future, DoneCallbackRunsAtOnceWhenAlreadyDone) {
  int calls = 0;
  auto f = finished(5);
  f.add_done_callback([&](const Future<int>& d) { calls += d.result(); });
  EXPECT_EQ(calls, 5);
  auto c = cancelled();
  c.add_done_callback([&](const Future<int>& d) { calls += d.cancelled() ? 100 : 0; });
  EXPECT_EQ(calls, 105);
  auto e = failed("test");
  std::string what;
  e.add_done_callback([&](const Future<int>& d) {
    try {
      std::rethrow_exception(d.exception());
    } catch (const std::exception& x) {
      what = x.what();
    }
  });
  EXPECT_EQ(what, "test");
}

TEST(Future, CallbacksRunOnceInTheOrderAdded) {
  Future<void> f;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i)
    f.add_done_callback([&order, i](const Future<void>&) { order.push_back(i); });
  f.set_result();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_THROW(f.set_result(), InvalidStateError);
  EXPECT_EQ(order.size(), 5u);
}

TEST(Future, ARaisingCallbackIsReportedAndTheOthersStillRun) {
  Future<int> f;
  int ran = 0;
  f.add_done_callback([&](const Future<int>&) { ++ran; });
  f.add_done_callback([](const Future<int>&) { throw std::runtime_error("doh!"); });
  f.add_done_callback([&](const Future<int>&) { ++ran; });
  testing::internal::CaptureStderr();
  f.set_result(5);
  f.add_done_callback([](const Future<int>&) { throw std::logic_error("again"); });  // at once
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(ran, 2);
  EXPECT_NE(err.find("exception calling callback for"), std::string::npos) << err;
  EXPECT_NE(err.find("std::runtime_error: doh!"), std::string::npos) << err;
  EXPECT_NE(err.find("again"), std::string::npos) << err;
}

TEST(Future, CallbacksOfAFutureDroppedWhilePendingAreFreedUncalled) {
  auto alive = std::make_shared<int>(1);
  {
    Future<int> f;
    f.add_done_callback([alive](const Future<int>&) { FAIL(); });
    EXPECT_EQ(alive.use_count(), 2);
  }
  EXPECT_EQ(alive.use_count(), 1);  // ASan checks the node is freed
}

TEST(Future, CopiesShareOneResult) {
  Future<std::string> a;
  Future<std::string> b = a;
  EXPECT_TRUE(a == b);
  Future<std::string> c;
  c = b;
  a.set_result("shared");
  EXPECT_TRUE(c.done());
  EXPECT_EQ(&b.result(), &c.result());
  EXPECT_EQ(c.get(), "shared");
  Future<std::string> other;
  EXPECT_FALSE(other == a);
}

TEST(Future, VoidReferenceAndMoveOnlyResults) {
  Future<void> v;
  v.set_result();
  v.result();
  v.get();
  static int target = 3;
  Future<int&> r;
  r.set_result(target);
  EXPECT_EQ(&r.result(), &target);
  Future<std::unique_ptr<int>> u;
  u.set_result(std::make_unique<int>(9));
  EXPECT_EQ(*u.result(), 9);
}

TEST(Future, StdFutureSpellings) {
  auto f = finished(3);
  EXPECT_TRUE(f.valid());
  f.wait();
  EXPECT_EQ(f.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(f.get(), 3);
  EXPECT_EQ(f.get(), 3);  // get() does not consume
  Future<int> moved = std::move(f);
  EXPECT_FALSE(f.valid());  // NOLINT(bugprone-use-after-move): that is the point
  EXPECT_TRUE(moved.valid());
  EXPECT_THROW(f.result(), std::future_error);
  EXPECT_THROW(f.done(), std::future_error);
}
