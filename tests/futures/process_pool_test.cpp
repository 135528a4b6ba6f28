// concur::futures::ProcessPoolExecutor: futures from worker processes (typed exceptions, a
// killed worker fails only its own future), map with chunks, shutdown with cancel_futures,
// options (initializer, max_tasks_per_child), as_completed over process futures, and the
// Executor concept with one generic function on both executors. Each test checks that no fd and
// no child process is left behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "concur/futures.hpp"
#include "support/byte_pipe.hpp"
#include "support/executor_work.hpp"
#include "support/leak_check.hpp"

using namespace std::chrono_literals;
using concur::futures::Future;
using concur::futures::ProcessPoolExecutor;
namespace mp = concur::multiprocessing;

namespace {

using concur::test::BytePipe;
using concur::test::read_byte;

int square(int x) { return x * x; }
int initialised_value = 0;

class ProcessPool : public concur::test::NoLeakTest {};

}  // namespace

TEST_F(ProcessPool, SubmitReturnsResultsOfFunctionsAndLambdas) {
  ProcessPoolExecutor pool(2);
  auto f = pool.submit(&square, 7);
  auto g = pool.submit(
      +[](std::string s) { return s + s; }, std::string("ab"));
  auto v = pool.submit(+[] {});
  EXPECT_EQ(f.result(30s), 49);
  EXPECT_EQ(g.result(30s), "abab");
  v.result(30s);
  EXPECT_TRUE(f.done());
}

TEST_F(ProcessPool, TaskExceptionArrivesWithItsOwnType) {
  ProcessPoolExecutor pool(1);
  auto f = pool.submit(
      +[](int x) -> int { throw std::out_of_range("index " + std::to_string(x)); }, 3);
  try {
    f.result(30s);
    FAIL();
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "index 3");
  }
  EXPECT_NE(f.exception(), nullptr);
}

TEST_F(ProcessPool, KilledWorkerFailsOnlyItsFutureAndIsReplaced) {
  ProcessPoolExecutor pool(2);
  auto ok = pool.submit(&square, 3);
  auto killed = pool.submit(+[]() -> int {
    ::raise(SIGKILL);
    return 0;
  });
  try {
    killed.result(30s);
    FAIL();
  } catch (const mp::WorkerCrashed& e) {
    EXPECT_EQ(e.exitcode, -SIGKILL);
  }
  EXPECT_EQ(ok.result(30s), 9);
  std::vector<Future<int>> more;
  for (int i = 0; i < 10; ++i) more.push_back(pool.submit(&square, i));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(more[static_cast<std::size_t>(i)].result(30s), i * i);
  EXPECT_EQ(pool.pids().size(), 2u);
}

TEST_F(ProcessPool, MapIsOrderedWithAnyChunksize) {
  ProcessPoolExecutor pool(2);
  std::vector<int> in(1000);
  std::iota(in.begin(), in.end(), 0);
  for (std::size_t chunk : {0u, 1u, 7u, 1000u}) {
    auto out = pool.map(
        +[](int x) { return 2 * x; }, in, chunk);
    ASSERT_EQ(out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(out[i], 2 * static_cast<int>(i));
  }
  EXPECT_THROW(pool.map(
                   +[](int x) -> int { throw std::invalid_argument(std::to_string(x)); },
                   std::vector<int>{1, 2}),
               std::invalid_argument);
}

TEST_F(ProcessPool, ShutdownRefusesNewWorkAndWaits) {
  ProcessPoolExecutor pool(1);
  auto f = pool.submit(&square, 4);
  pool.shutdown();
  EXPECT_EQ(f.result(0s), 16);  // shutdown(wait=true) waited for it
  EXPECT_THROW(pool.submit(&square, 1), std::logic_error);
  EXPECT_THROW(pool.map(&square, std::vector<int>{1}), std::logic_error);
}

TEST_F(ProcessPool, ShutdownCancelFuturesCancelsWhatIsNotFinished) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // made before the pool: its worker inherits the read end
  {
    ProcessPoolExecutor pool(1);
    auto blocker = pool.submit(&read_byte, fds[0]);
    std::vector<Future<int>> queued;
    for (int i = 0; i < 3; ++i) queued.push_back(pool.submit(&square, i));
    pool.shutdown(false, true);
    for (auto& f : queued) {
      EXPECT_TRUE(f.cancelled());
      EXPECT_THROW(f.result(), concur::futures::CancelledError);
    }
    EXPECT_TRUE(blocker.cancelled() || !blocker.done());
    ASSERT_EQ(::write(fds[1], "x", 1), 1);
  }  // the destructor waits for the worker
  ::close(fds[0]);
  ::close(fds[1]);
}

// Python's futures are running once they enter the call queue; ours once a worker takes them
// (test_concurrent_futures: test_cancel on a running future returns False).
TEST_F(ProcessPool, FutureRunsOnceAWorkerTookItAndCannotBeCancelledThen) {
  BytePipe gate, ran;  // made before the pool: its worker inherits them
  {
    ProcessPoolExecutor pool(1);
    auto blocker = pool.submit(&read_byte, gate.fds[0]);
    auto queued = pool.submit(
        +[](int fd) { return ::write(fd, "y", 1) == 1; }, ran.fds[1]);
    ASSERT_TRUE(concur::test::eventually([&] { return blocker.running(); }, 30s));
    EXPECT_FALSE(blocker.cancel());
    EXPECT_FALSE(blocker.done());
    EXPECT_FALSE(queued.running());  // the only worker is busy
    EXPECT_TRUE(queued.cancel());    // still pending: cancelled, and it never runs
    ASSERT_EQ(::write(gate.fds[1], "x", 1), 1);
    EXPECT_EQ(blocker.result(30s), 'x');
    EXPECT_TRUE(pool.submit(&square, 3).result(30s) == 9);  // FIFO: `queued` went by first
    EXPECT_THROW(queued.result(), concur::futures::CancelledError);
  }
  ASSERT_EQ(::fcntl(ran.fds[0], F_SETFL, O_NONBLOCK), 0);
  char c;
  EXPECT_EQ(::read(ran.fds[0], &c, 1), -1) << "the cancelled task ran";
}

// test_concurrent_futures/test_init.py: a failing initializer breaks the executor; the futures
// and every later submit raise BrokenExecutor.
TEST_F(ProcessPool, FailingInitializerBreaksThePool) {
  ProcessPoolExecutor pool(2, {.initializer = {+[] { throw std::runtime_error("no database"); }}});
  // Each submit either throws (the pool broke already) or gives a future that fails.
  for (int i = 0; i < 4; ++i) {
    try {
      pool.submit(&square, i).result(30s);
      ADD_FAILURE() << "the task ran without its initializer";
    } catch (const concur::futures::BrokenProcessPool& e) {
      EXPECT_NE(std::string(e.what()).find("no database"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(pool.submit(&square, 1), concur::futures::BrokenProcessPool);
  EXPECT_THROW(pool.map(&square, std::vector<int>{1, 2}), concur::futures::BrokenExecutor);
}

TEST_F(ProcessPool, InitializerKillingItsWorkerBreaksThePool) {
  ProcessPoolExecutor pool(1, {.initializer = {+[] { ::_exit(3); }}});
  // The worker may die before submit() (which then throws) or after (the future fails).
  try {
    pool.submit(&square, 2).result(30s);
    ADD_FAILURE() << "the task ran";
  } catch (const concur::futures::BrokenProcessPool& e) {
    EXPECT_NE(std::string(e.what()).find("exit code 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(pool.submit(&square, 1), concur::futures::BrokenProcessPool);
}

TEST_F(ProcessPool, InitializerRunsInEveryWorker) {
  ProcessPoolExecutor pool(2, {.initializer = {+[](int v) { initialised_value = v; }, 41}});
  std::vector<Future<int>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(pool.submit(+[] { return initialised_value + 1; }));
  for (auto& f : fs) EXPECT_EQ(f.result(30s), 42);
  EXPECT_EQ(initialised_value, 0);  // only the workers ran it
}

TEST_F(ProcessPool, MaxTasksPerChildReplacesWorkers) {
  ProcessPoolExecutor pool(1, {.max_tasks_per_child = 1});
  std::set<pid_t> pids;
  for (int i = 0; i < 3; ++i) pids.insert(pool.submit(+[] { return ::getpid(); }).result(30s));
  EXPECT_EQ(pids.size(), 3u);
}

TEST_F(ProcessPool, AsCompletedAndCallbacksOverProcessFutures) {
  ProcessPoolExecutor pool(2);
  std::vector<Future<int>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(pool.submit(&square, i));
  std::atomic<int> called{0};
  fs[0].add_done_callback([&](const Future<int>&) { called.fetch_add(1); });
  std::set<int> seen;
  for (const auto& f : concur::futures::as_completed(fs, 30s)) seen.insert(f.result());
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_EQ(called.load(), 1);
  EXPECT_THROW(fs[1].set_result(0), concur::futures::InvalidStateError);
}

TEST_F(ProcessPool, OneGenericFunctionRunsOnBothExecutors) {
  static_assert(concur::futures::Executor<ProcessPoolExecutor>);
  static_assert(concur::futures::Executor<concur::futures::ThreadPoolExecutor>);
  ProcessPoolExecutor processes(2);
  concur::futures::ThreadPoolExecutor threads(2);
  EXPECT_EQ(concur::test::generic_work(processes), concur::test::generic_work_expected);
  EXPECT_EQ(concur::test::generic_work(threads), concur::test::generic_work_expected);
}
