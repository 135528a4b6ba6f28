// 10^4 spawns from 8 threads, mixing successes, exec failures, timeouts and kills; afterwards
// no fd leaked, no zombie, no live child.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <concur/subprocess.hpp>
#include <thread>
#include <vector>

#include "support/leak_check.hpp"

namespace {

namespace sp = concur::subprocess;
using namespace std::chrono_literals;

TEST(SpawnSoak, TenThousandMixedSpawnsFromEightThreadsLeakNothing) {
  concur::test::LeakGuard guard;
  constexpr int threads = 8, per_thread = 1250;
  std::atomic<int> ok{0}, exec_failed{0}, timed_out{0}, killed{0}, wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        try {
          switch ((t + i) % 4) {
            case 0: {
              const auto r = sp::run({"true"}, {.capture_output = true});
              (r.returncode == 0 ? ok : wrong)++;
              break;
            }
            case 1:
              try {
                sp::run({"/nonexistent/concur-soak"});
                wrong++;
              } catch (const sp::SpawnError& e) {
                (e.code().value() == ENOENT ? exec_failed : wrong)++;
              }
              break;
            case 2:
              try {
                sp::run({"sleep", "10"}, {.capture_output = true, .timeout = 1ms});
                wrong++;
              } catch (const sp::TimeoutExpired&) {
                timed_out++;
              }
              break;
            default: {
              sp::Popen p({"sleep", "10"}, {.out = sp::PIPE});
              p.kill();
              (p.wait() == -SIGKILL ? killed : wrong)++;
              break;
            }
          }
        } catch (const std::exception& e) {
          wrong++;
          ADD_FAILURE() << "thread " << t << " spawn " << i << ": " << e.what();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ok + exec_failed + timed_out + killed, threads * per_thread);
  EXPECT_EQ(ok.load(), threads * per_thread / 4);
  EXPECT_EQ(killed.load(), threads * per_thread / 4);
  guard.check();  // 0 fds leaked, 0 zombies, 0 live children
}

}  // namespace
