// A pool that never hangs: workers that die, huge results, pools destroyed mid-work,
// parents killed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <concur/multiprocessing.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;

namespace {

class PoolFailure : public concur::test::NoLeakTest {};

int die_on_3(int x) {
  if (x == 3) ::kill(::getpid(), SIGKILL);
  if (x == 5) ::_exit(7);
  return x;
}

// Where log_and_die_on_3 appends the item it runs (a file the workers inherit by name).
std::string& run_log() {
  static std::string path;
  return path;
}

int log_and_die_on_3(int x) {
  const int fd = ::open(run_log().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  const std::string line = std::to_string(x) + "\n";
  if (fd >= 0) {
    [[maybe_unused]] const ssize_t w = ::write(fd, line.data(), line.size());
    ::close(fd);
  }
  if (x == 3) ::kill(::getpid(), SIGKILL);
  return x;
}

}  // namespace

TEST_F(PoolFailure, SigkilledWorkerFailsOnlyItsTask) {
  mp::Pool pool(2);
  const auto before = pool.pids();
  auto bad = pool.apply_async(&die_on_3, 3);
  try {
    bad.get();
    FAIL() << "no exception";
  } catch (const mp::WorkerCrashed& e) {
    EXPECT_EQ(e.exitcode, -SIGKILL);
    EXPECT_NE(std::string(e.what()).find("signal 9"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pool.apply_async(&die_on_3, 4).get(), 4);
  EXPECT_EQ(pool.map(&die_on_3, std::vector{1, 2, 4, 6}, 1), (std::vector{1, 2, 4, 6}));
  EXPECT_TRUE(concur::test::eventually([&] { return pool.pids().size() == 2; }));
  EXPECT_NE(pool.pids(), before);
}

TEST_F(PoolFailure, WorkerKilledFromOutsideMidTaskFailsOnlyItsTask) {
  mp::Pool pool(1);
  auto [rd, wr] = mp::Pipe();
  auto running = pool.apply_async(
      [](mp::Connection c) {
        c.send(1);  // "started"
        return c.recv<int>();
      },
      wr);
  auto queued = pool.apply_async(&die_on_3, 4);
  EXPECT_EQ(rd.recv<int>(), 1);
  const pid_t victim = pool.pids().at(0);
  ::kill(victim, SIGKILL);  // as the OOM killer would
  try {
    running.get();
    FAIL() << "no exception";
  } catch (const mp::WorkerCrashed& e) {
    EXPECT_EQ(e.exitcode, -SIGKILL);
    EXPECT_NE(std::string(e.what()).find(std::to_string(victim)), std::string::npos);
  }
  EXPECT_EQ(queued.get(), 4);  // ran on the replacement
  EXPECT_EQ(pool.pids().size(), 1u);
  EXPECT_NE(pool.pids().at(0), victim);
}

TEST_F(PoolFailure, ExitingWorkerFailsOnlyItsTask) {
  mp::Pool pool(2);
  auto results = std::vector<mp::AsyncResult<int>>{};
  for (int x : {1, 5, 2, 5, 4}) results.push_back(pool.apply_async(&die_on_3, x));
  EXPECT_EQ(results[0].get(), 1);
  EXPECT_EQ(results[2].get(), 2);
  EXPECT_EQ(results[4].get(), 4);
  for (int i : {1, 3}) {
    try {
      results[static_cast<std::size_t>(i)].get();
      FAIL();
    } catch (const mp::WorkerCrashed& e) {
      EXPECT_EQ(e.exitcode, 7);
    }
  }
  EXPECT_EQ(pool.pids().size(), 2u);
}

TEST_F(PoolFailure, MapWithCrashThrowsWorkerCrashedAndPoolGoesOn) {
  mp::Pool pool(2);
  EXPECT_THROW(pool.map(&die_on_3, std::vector{1, 2, 3, 4}, 1), mp::WorkerCrashed);
  EXPECT_EQ(pool.map(&die_on_3, std::vector{1, 2}), (std::vector{1, 2}));
}

// A map's chunks queue behind the one a worker runs: those queued behind the chunk that
// kills it run on another worker, each exactly once.
TEST_F(PoolFailure, MapChunksQueuedBehindACrashRunElsewhereOnce) {
  char path[] = "/tmp/concur_map_log_XXXXXX";
  const int fd = ::mkostemp(path, O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::close(fd);
  run_log() = path;
  std::vector<int> items(12);
  for (int i = 0; i < 12; ++i) items[static_cast<std::size_t>(i)] = i;
  {
    mp::Pool pool(2);
    EXPECT_THROW(pool.map(&log_and_die_on_3, items, 1), mp::WorkerCrashed);
  }
  std::vector<int> runs(12, 0);
  FILE* f = std::fopen(path, "re");
  ASSERT_NE(f, nullptr);
  int x = 0;
  while (std::fscanf(f, "%d", &x) == 1)
    if (x >= 0 && x < 12) ++runs[static_cast<std::size_t>(x)];
  std::fclose(f);
  ::unlink(path);
  EXPECT_EQ(runs, std::vector<int>(12, 1));
}

TEST_F(PoolFailure, DestroyedWithWorkPendingLeavesNoProcess) {
  std::vector<pid_t> pids;
  {
    mp::Pool pool(2);
    pids = pool.pids();
    auto [rd, wr] = mp::Pipe(false);
    for (int i = 0; i < 4; ++i)
      (void)pool.apply_async([](mp::Connection c) { return c.recv<int>(); }, rd);
  }  // ~Pool: terminate() kills and reaps
  for (pid_t p : pids) EXPECT_TRUE(concur::test::process_gone(p)) << p;
}

namespace {
void expect_workers_die_with_parent(mp::StartMethod method) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const pid_t middle = ::fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {
    ::close(fds[0]);
    if (method != mp::StartMethod::fork) mp::set_start_method(method);
    mp::Pool pool(2);
    auto pids = pool.pids();
    if (::write(fds[1], pids.data(), pids.size() * sizeof(pid_t)) < 0) ::_exit(2);
    ::close(fds[1]);
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  pid_t pids[2] = {0, 0};
  std::size_t got = 0;
  while (got < sizeof pids) {
    const ssize_t r = ::read(fds[0], reinterpret_cast<char*>(pids) + got, sizeof pids - got);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  ::close(fds[0]);
  ASSERT_EQ(got, sizeof pids);
  ::kill(middle, SIGKILL);
  int status = 0;
  ::waitpid(middle, &status, 0);
  for (pid_t p : pids)
    EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(p); })) << p;
}
}  // namespace

TEST_F(PoolFailure, WorkersDieWhenParentIsKilled) {
  expect_workers_die_with_parent(mp::StartMethod::fork);
}

TEST_F(PoolFailure, ForkserverWorkersDieWhenParentIsKilled) {
  expect_workers_die_with_parent(mp::StartMethod::forkserver);
}
