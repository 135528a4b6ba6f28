// concurrent.futures' ProcessPoolExecutor with mp_context = spawn (CPython runs its executor
// tests once per start method): every worker is a fresh exec of this program, and submit, map,
// typed exceptions, a worker's crash, the initializer and max_tasks_per_child behave as they do
// with fork. Also a process-shared Barrier whose action runs in a spawned process (the action
// travels as module + offset, not as the parent's address).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <concur/futures.hpp>
#include <concur/multiprocessing.hpp>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
using concur::futures::Future;
using concur::futures::ProcessPoolExecutor;
using namespace std::chrono_literals;

namespace {

class SpawnExecutor : public concur::test::NoLeakTest {};

const concur::futures::ProcessPoolOptions spawned{.mp_context = mp::StartMethod::spawn};

int square(int x) { return x * x; }
int parent_marker = 0;  // set by the parent: a spawned worker starts from the program's 0
int read_marker() { return parent_marker; }
int initialised = 0;
void initialise(int v) { initialised = v; }
int initialised_plus_one() { return initialised + 1; }

}  // namespace

TEST_F(SpawnExecutor, SubmitAndMapRunInFreshExecsOfThisProgram) {
  parent_marker = 7;
  ProcessPoolExecutor pool(2, spawned);
  auto f = pool.submit(&square, 9);
  auto g = pool.submit(
      +[](std::string s) { return s + "!"; }, std::string("spawned"));
  EXPECT_EQ(f.result(60s), 81);
  EXPECT_EQ(g.result(60s), "spawned!");
  EXPECT_EQ(pool.submit(&read_marker).result(60s), 0);  // not a copy of our memory
  std::vector<int> in(500);
  std::iota(in.begin(), in.end(), 0);
  for (std::size_t chunk : {1u, 64u}) {
    const auto out = pool.map(&square, in, chunk);
    ASSERT_EQ(out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
      ASSERT_EQ(out[i], static_cast<int>(i * i)) << "chunk " << chunk;
  }
  for (pid_t pid : pool.pids()) EXPECT_NE(pid, ::getpid());
  parent_marker = 0;
}

TEST_F(SpawnExecutor, ExceptionsKeepTheirTypeAndACrashFailsOnlyItsFuture) {
  ProcessPoolExecutor pool(2, spawned);
  auto bad = pool.submit(
      +[](int x) -> int { throw std::out_of_range("spawned " + std::to_string(x)); }, 4);
  try {
    bad.result(60s);
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "spawned 4");
  }
  auto killed = pool.submit(+[]() -> int {
    ::raise(SIGKILL);
    return 0;
  });
  try {
    killed.result(60s);
    FAIL() << "no exception";
  } catch (const mp::WorkerCrashed& e) {
    EXPECT_EQ(e.exitcode, -SIGKILL);
  }
  std::vector<Future<int>> more;
  for (int i = 0; i < 8; ++i) more.push_back(pool.submit(&square, i));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(more[static_cast<std::size_t>(i)].result(60s), i * i);
  EXPECT_EQ(pool.pids().size(), 2u);  // the killed worker was replaced by a new spawn
}

TEST_F(SpawnExecutor, InitializerRunsInEverySpawnedWorker) {
  ProcessPoolExecutor pool(
      2, {.mp_context = mp::StartMethod::spawn, .initializer = {&initialise, 41}});
  std::vector<Future<int>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(pool.submit(&initialised_plus_one));
  for (auto& f : fs) EXPECT_EQ(f.result(60s), 42);
  EXPECT_EQ(initialised, 0);  // only the workers ran it
}

TEST_F(SpawnExecutor, MaxTasksPerChildSpawnsReplacements) {
  ProcessPoolExecutor pool(1, {.mp_context = mp::StartMethod::spawn, .max_tasks_per_child = 1});
  std::set<pid_t> pids;
  for (int i = 0; i < 3; ++i) pids.insert(pool.submit(+[] { return ::getpid(); }).result(60s));
  EXPECT_EQ(pids.size(), 3u);
  EXPECT_EQ(pids.count(::getpid()), 0u);
}

TEST_F(SpawnExecutor, ShutdownWaitsForSpawnedWorkers) {
  ProcessPoolExecutor pool(2, spawned);
  auto f = pool.submit(&square, 12);
  pool.shutdown();
  EXPECT_EQ(f.result(0s), 144);
  EXPECT_THROW(pool.submit(&square, 1), std::logic_error);
}

// ---- Barrier action across a spawn ----

namespace {

int action_runs = 0;  // per process: how often this process ran the barrier's action
void count_action() { ++action_runs; }

// In a spawned child: arrives last (after the parent waits), so this process runs the action.
void arrive_last(mp::Barrier barrier, mp::Connection report) {
  while (barrier.n_waiting() != 1) std::this_thread::yield();  // the parent is waiting
  barrier.wait();
  report.send(action_runs);
}

}  // namespace

TEST_F(SpawnExecutor, BarrierActionRunsInTheSpawnedProcessThatArrivesLast) {
  mp::Barrier barrier(2, &count_action);
  auto [ours, theirs] = mp::Pipe();
  mp::Process child(mp::ProcessOptions{.start_method = mp::StartMethod::spawn}, &arrive_last,
                    barrier, theirs);
  child.start();
  barrier.wait(30s);
  EXPECT_EQ(ours.recv<int>(), 1);  // the child ran our action at its own address
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(action_runs, 0);  // and the parent did not
  EXPECT_FALSE(barrier.broken());
}

TEST_F(SpawnExecutor, BarrierActionLambdaRunsInASpawnedProcess) {
  mp::Barrier barrier(
      2, +[] { action_runs += 10; });
  auto [ours, theirs] = mp::Pipe();
  mp::Process child(mp::ProcessOptions{.start_method = mp::StartMethod::spawn}, &arrive_last,
                    barrier, theirs);
  child.start();
  barrier.wait(30s);
  EXPECT_EQ(ours.recv<int>(), 10);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(action_runs, 0);
}
