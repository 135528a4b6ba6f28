// A process pool fed 10^4 tasks while a killer thread SIGKILLs random workers: every task is
// accounted for exactly once (a result or WorkerCrashed), nothing hangs, nothing leaks.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <concur/multiprocessing.hpp>
#include <random>
#include <thread>
#include <vector>

#include "support/leak_check.hpp"

namespace {

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

long square(long x) { return x * x; }

// SIGKILLs `pid` only while it is still our child. A worker listed a moment ago may have died
// and been reaped since, and its pid reused by an unrelated process: a pidfd pins the process,
// and its parent is checked before the signal goes out (never kill a recycled pid).
void kill_own_child(pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return;
  concur::test::ProcStat st;
  if (concur::test::read_stat(pid, st) && st.ppid == ::getpid())
    ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
  ::close(fd);
}

TEST(PoolSoak, TenThousandTasksUnderAWorkerKillerAreEachAccountedForOnce) {
  concur::test::LeakGuard guard;
  constexpr long tasks = 10000;
  std::size_t results = 0, crashed = 0, other = 0, kills = 0;
  {
    mp::Pool pool(4);
    std::vector<mp::AsyncResult<long>> pending;
    pending.reserve(tasks);
    for (long i = 0; i < tasks; ++i) pending.push_back(pool.apply_async(&square, i));

    // Paced by progress, not by time: a kill each time ~200 more tasks have finished.
    std::thread killer([&] {
      std::mt19937 rng(1705);
      for (std::size_t next = 200; next < tasks; next += 200) {
        pending[next].wait(120s);
        const auto pids = pool.pids();
        if (pids.empty()) continue;
        kill_own_child(pids[rng() % pids.size()]);
        ++kills;
      }
    });
    for (long i = 0; i < tasks; ++i) {
      try {
        const long v = pending[static_cast<std::size_t>(i)].get(120s);
        EXPECT_EQ(v, i * i);
        ++results;
      } catch (const mp::WorkerCrashed&) {
        ++crashed;
      } catch (const std::exception& e) {
        ++other;
        ADD_FAILURE() << "task " << i << ": " << e.what();
      }
    }
    killer.join();
    pool.close();
    pool.join();
  }
  EXPECT_EQ(results + crashed, static_cast<std::size_t>(tasks));
  EXPECT_EQ(other, 0u);
  EXPECT_GT(kills, 10u);
  EXPECT_LE(crashed, kills);  // a kill fails at most the task its worker was running
  RecordProperty("kills", static_cast<int>(kills));
  RecordProperty("crashed", static_cast<int>(crashed));
  guard.check();
}

}  // namespace
