// The forkserver: pools made while another thread holds a lock still work.
#include <gtest/gtest.h>

#include <concur/multiprocessing.hpp>
#include <latch>
#include <mutex>
#include <thread>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;

namespace {
std::mutex held;  // locked by a thread of the parent while the pool runs
int locked_work(int x) {
  std::lock_guard lock(held);  // in a fork() of the parent this would wait forever
  return x + 1;
}
}  // namespace

TEST(Forkserver, PoolWorksWhileAnotherThreadHoldsALock) {
  mp::set_start_method(mp::StartMethod::forkserver);  // first thing: still single-threaded
  EXPECT_EQ(mp::get_start_method(), mp::StartMethod::forkserver);
  const auto fds_before = concur::test::open_fds();
  std::latch locked(1), done(1);
  std::thread holder([&] {
    std::lock_guard lock(held);
    locked.count_down();
    done.wait();
  });
  locked.wait();
  std::vector<pid_t> pids;
  {
    mp::Pool pool(2);
    pids = pool.pids();
    EXPECT_EQ(pool.map(&locked_work, std::vector{1, 2, 3}), (std::vector{2, 3, 4}));
    auto crash = pool.apply_async(
        +[](int) -> int { std::abort(); }, 0);
    try {
      crash.get();
      FAIL();
    } catch (const mp::WorkerCrashed& e) {
      EXPECT_EQ(e.exitcode, -SIGABRT);
    }
    EXPECT_EQ(pool.apply_async(&locked_work, 9).get(), 10);

    mp::Process p([](int x) { ::_exit(locked_work(x)); }, 4);
    p.start();
    p.join();
    EXPECT_EQ(p.exitcode(), 5);
  }
  done.count_down();
  holder.join();
  for (pid_t pid : pids) EXPECT_TRUE(concur::test::process_gone(pid));
  EXPECT_EQ(concur::test::open_fds(), fds_before);
  // The only child left is the server itself.
  EXPECT_EQ(concur::test::children_of_self().size(), 1u);
}

TEST(Forkserver, SpawnNeedsFreezeSupportInMain) {
  // This test program's main() does not call freeze_support(): spawn is accepted as the
  // default, but starting a worker with it is refused at once (spawn_test.cpp covers the rest).
  const auto before = mp::get_start_method();
  mp::set_start_method(mp::StartMethod::spawn);
  EXPECT_EQ(mp::get_start_method(), mp::StartMethod::spawn);
  EXPECT_THROW(mp::Pool(1), mp::ProcessError);
  mp::set_start_method(before);
}
