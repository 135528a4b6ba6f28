// Future's state machine under races: cancel against start, setters against each other,
// callbacks added while the future completes, waiters that sleep while it completes; and a thread
// pool's submits racing its shutdown. Each round starts its threads together on a latch; many
// rounds make the interleavings vary (TSan checks the memory orderings).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <latch>
#include <stdexcept>
#include <thread>
#include <vector>

#include "concur/futures.hpp"

using concur::futures::Future;
using concur::futures::InvalidStateError;
using concur::futures::ThreadPoolExecutor;

TEST(FutureRace, CancelAgainstStartHasExactlyOneWinner) {
  int cancels = 0, starts = 0;
  for (int round = 0; round < 2000; ++round) {
    Future<int> f;
    std::latch go(2);
    bool cancelled = false, started = false;
    std::thread a([&] {
      go.arrive_and_wait();
      cancelled = f.cancel();
    });
    go.arrive_and_wait();
    started = f.set_running_or_notify_cancel();
    a.join();
    ASSERT_NE(cancelled, started) << "round " << round;
    ASSERT_EQ(f.cancelled(), cancelled);
    ASSERT_EQ(f.running(), started);
    cancels += cancelled;
    starts += started;
  }
  EXPECT_EQ(cancels + starts, 2000);
}

TEST(FutureRace, TwoSettersOneWins) {
  for (int round = 0; round < 2000; ++round) {
    Future<int> f;
    std::latch go(2);
    std::atomic<int> wins{0};
    auto set = [&](int v) {
      go.arrive_and_wait();
      try {
        f.set_result(v);
        wins.fetch_add(1);
      } catch (const InvalidStateError&) {
      }
    };
    std::thread a(set, 1);
    set(2);
    a.join();
    ASSERT_EQ(wins.load(), 1);
    ASSERT_TRUE(f.result() == 1 || f.result() == 2);
  }
}

TEST(FutureRace, CallbacksAddedWhileCompletingRunExactlyOnce) {
  constexpr int kThreads = 3, kPerThread = 50;
  for (int round = 0; round < 200; ++round) {
    Future<int> f;
    std::atomic<int> calls{0}, bad{0};
    std::latch go(kThreads + 1);
    std::vector<std::thread> adders;
    for (int t = 0; t < kThreads; ++t) {
      adders.emplace_back([&] {
        go.arrive_and_wait();
        for (int i = 0; i < kPerThread; ++i) {
          f.add_done_callback([&](const Future<int>& d) {
            if (!d.done() || d.result() != 7) bad.fetch_add(1);
            calls.fetch_add(1);
          });
        }
      });
    }
    go.arrive_and_wait();
    f.set_result(7);
    for (auto& t : adders) t.join();
    ASSERT_EQ(calls.load(), kThreads * kPerThread) << "round " << round;
    ASSERT_EQ(bad.load(), 0);
  }
}

TEST(FutureRace, WaitersRacingCompletionAllReturn) {
  for (int round = 0; round < 500; ++round) {
    Future<void> f;
    std::latch go(3);
    std::atomic<int> returned{0};
    std::vector<std::thread> waiters;
    for (int t = 0; t < 2; ++t)
      waiters.emplace_back([&] {
        go.arrive_and_wait();
        f.wait();
        returned.fetch_add(1);
      });
    go.arrive_and_wait();
    f.set_result();
    for (auto& t : waiters) t.join();
    ASSERT_EQ(returned.load(), 2);
  }
}

TEST(FutureRace, CancelWithCallbacksAndWaitersNotifiesAll) {
  for (int round = 0; round < 500; ++round) {
    Future<int> f;
    std::atomic<int> notified{0};
    std::latch go(3);
    std::thread waiter([&] {
      go.arrive_and_wait();
      try {
        f.result();
      } catch (const concur::futures::CancelledError&) {
        notified.fetch_add(1);
      }
    });
    std::thread adder([&] {
      go.arrive_and_wait();
      f.add_done_callback([&](const Future<int>& d) { notified.fetch_add(d.cancelled() ? 1 : 0); });
    });
    go.arrive_and_wait();
    EXPECT_TRUE(f.cancel());
    waiter.join();
    adder.join();
    ASSERT_EQ(notified.load(), 2);
  }
}

// A submit that races shutdown() is either refused (std::logic_error) or its task is queued before
// the workers may exit: after shutdown(wait=true) every future a submit returned is done — run, or
// cancelled with cancel_futures — never left pending by a worker that exited too early.
TEST(FutureRace, SubmitsRacingShutdownAreRefusedOrCompleted) {
  for (int round = 0; round < 100; ++round) {
    const bool cancel = round % 2 == 1;
    ThreadPoolExecutor pool(2);
    std::atomic<int> submitted{0};
    std::vector<Future<int>> got[2];
    std::latch start(3);
    auto submitter = [&](std::vector<Future<int>>& out) {
      start.arrive_and_wait();
      try {
        for (;;) {
          out.push_back(pool.submit([] { return 7; }));
          submitted.fetch_add(1, std::memory_order_relaxed);
        }
      } catch (const std::logic_error&) {
      }
    };
    std::thread a(submitter, std::ref(got[0])), b(submitter, std::ref(got[1]));
    start.arrive_and_wait();
    while (submitted.load(std::memory_order_relaxed) < 50 + round) std::this_thread::yield();
    pool.shutdown(true, cancel);
    a.join();
    b.join();
    for (auto& fs : got) {
      for (auto& f : fs) {
        ASSERT_TRUE(f.done());
        if (!f.cancelled()) {
          EXPECT_EQ(f.result(), 7);
        } else {
          EXPECT_TRUE(cancel) << "only shutdown(cancel_futures=true) cancels";
        }
      }
    }
  }
}
