// ProcessPoolExecutor's direct path: a task submitted while a worker is idle goes straight to
// that worker, and a thread waiting in result() reads the worker's reply itself. These tests
// check that every semantic survives it: timeouts while the waiter reads, several waiters on
// one future, callbacks run once, many submitting threads, max_tasks_per_child counted per
// task, a worker dying under a waiting reader, and a reply nobody waits for after one a waiter
// read (the dispatch thread must hear of it again).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "concur/errors.hpp"
#include "concur/futures.hpp"
#include "support/byte_pipe.hpp"
#include "support/leak_check.hpp"

using namespace std::chrono_literals;
using concur::futures::Future;
using concur::futures::ProcessPoolExecutor;
namespace mp = concur::multiprocessing;

namespace {

using concur::test::BytePipe;
using concur::test::read_byte;

class ProcessPoolDirect : public concur::test::NoLeakTest {};

// Reads a byte, then dies of SIGKILL.
int read_byte_then_die(int fd) {
  read_byte(fd);
  ::raise(SIGKILL);
  return 0;
}

}  // namespace

TEST_F(ProcessPoolDirect, ResultTimesOutWhileTheWorkerRunsAndArrivesLater) {
  BytePipe p;  // before the pool: its workers inherit it
  ProcessPoolExecutor pool(1);
  auto f = pool.submit(&read_byte, p.fds[0]);
  EXPECT_THROW(f.result(20ms), concur::TimeoutError);
  EXPECT_TRUE(f.running());
  p.write_byte('x');
  EXPECT_EQ(f.result(30s), 'x');
  EXPECT_EQ(pool.submit(
                    +[](int x) { return x + 1; }, 1)
                .result(30s),
            2);  // the worker is free
}

TEST_F(ProcessPoolDirect, TwoWaitersOnOneFutureBothGetTheResultAndTheCallbackRunsOnce) {
  BytePipe p;  // before the pool: its workers inherit it
  ProcessPoolExecutor pool(1);
  auto f = pool.submit(&read_byte, p.fds[0]);
  std::atomic<int> calls{0};
  std::promise<void> call;
  std::future<void> called = call.get_future();
  f.add_done_callback([&](const Future<int>&) {
    if (calls.fetch_add(1) == 0) call.set_value();
  });
  std::atomic<int> a{0}, b{0};
  std::thread ta([&] { a = f.result(30s); });
  std::thread tb([&] { b = f.result(30s); });
  p.write_byte('y');
  ta.join();
  tb.join();
  EXPECT_EQ(a.load(), 'y');
  EXPECT_EQ(b.load(), 'y');
  // The completing thread (a waiter, or the dispatch thread) runs callbacks after it wakes the
  // waiters, as Python's set_result does: the callback may come a moment after result().
  ASSERT_EQ(called.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(ProcessPoolDirect, ManySubmittingThreadsEachGetTheirOwnResults) {
  ProcessPoolExecutor pool(2);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const int x = t * 1000 + i;
        if (pool.submit(
                    +[](int v) { return 3 * v; }, x)
                .result(30s) != 3 * x)
          wrong.fetch_add(1);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(pool.pids().size(), 2u);
}

TEST_F(ProcessPoolDirect, MaxTasksPerChildCountsEveryTaskOfAWaiterThatReadsItself) {
  ProcessPoolExecutor pool(1, {.max_tasks_per_child = 2});
  std::vector<pid_t> pids;
  for (int i = 0; i < 6; ++i) pids.push_back(pool.submit(+[] { return ::getpid(); }).result(30s));
  for (std::size_t i = 0; i < 6; i += 2) EXPECT_EQ(pids[i], pids[i + 1]) << i;
  EXPECT_EQ(std::set<pid_t>(pids.begin(), pids.end()).size(), 3u);
}

TEST_F(ProcessPoolDirect, WorkerDyingUnderAWaitingReaderFailsOnlyThatFuture) {
  BytePipe p;  // before the pool: its workers inherit it
  ProcessPoolExecutor pool(1);
  auto f = pool.submit(&read_byte_then_die, p.fds[0]);
  std::thread waiter([&] { EXPECT_THROW(f.result(30s), mp::WorkerCrashed); });
  p.write_byte('z');
  waiter.join();
  EXPECT_EQ(pool.submit(
                    +[](int x) { return x * 2; }, 21)
                .result(30s),
            42);  // replaced
  EXPECT_EQ(pool.pids().size(), 1u);
}

TEST_F(ProcessPoolDirect, AReplyNobodyWaitsForStillCompletesAfterAWaiterReadTheLastOne) {
  ProcessPoolExecutor pool(1);
  for (int round = 0; round < 20; ++round) {
    // A waiter reads this reply itself: the worker's channel is muted for the dispatch thread
    // meanwhile, and must report again afterwards.
    ASSERT_EQ(pool.submit(
                      +[](int x) { return x + 1; }, round)
                  .result(30s),
              round + 1);
    // Nobody waits for this one: only the dispatch thread can read its reply.
    auto seen = std::make_shared<std::promise<int>>();  // outlives a failed wait
    std::future<int> value = seen->get_future();
    pool.submit(
            +[](int x) { return 2 * x; }, round)
        .add_done_callback([seen](const Future<int>& f) { seen->set_value(f.result()); });
    ASSERT_EQ(value.wait_for(30s), std::future_status::ready) << round;
    EXPECT_EQ(value.get(), 2 * round);
  }
}
