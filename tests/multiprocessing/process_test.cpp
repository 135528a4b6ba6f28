// Process: start, join, exit codes, signals; arguments travel serialized.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <concur/multiprocessing.hpp>
#include <string>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
using namespace std::chrono_literals;

namespace {
class ProcessTest : public concur::test::NoLeakTest {};
std::vector<int> accumulator;  // each process has its own
}  // namespace

TEST_F(ProcessTest, RunsTargetWithArgumentsAndExitsZero) {
  auto [parent_end, child_end] = mp::Pipe();
  mp::Process p([](std::string s, int n, mp::Connection c) { c.send(s + std::to_string(n)); },
                std::string("n="), 3, child_end);
  EXPECT_EQ(p.pid(), 0);
  EXPECT_FALSE(p.exitcode());
  p.start();
  EXPECT_GT(p.pid(), 0);
  EXPECT_EQ(parent_end.recv<std::string>(), "n=3");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_FALSE(p.is_alive());
  EXPECT_THROW(p.start(), mp::ProcessError);
}

TEST_F(ProcessTest, ProcessesDoNotShareMemory) {
  mp::Process p([](int x) { accumulator.push_back(x); }, 1);
  p.start();
  p.join();
  EXPECT_TRUE(accumulator.empty());
}

TEST_F(ProcessTest, ThrowingTargetExitsOne) {
  mp::Process p([] { throw std::runtime_error("boom"); });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 1);
}

TEST_F(ProcessTest, ExitcodeIsNegativeSignal) {
  auto [a, b] = mp::Pipe();
  mp::Process p([](mp::Connection c) { (void)c.recv<int>(); }, b);
  p.start();
  EXPECT_TRUE(p.is_alive());
  EXPECT_FALSE(p.join_for(20ms));
  p.terminate();
  EXPECT_TRUE(p.join_for(5s));
  EXPECT_EQ(p.exitcode(), -SIGTERM);

  mp::Process q([](mp::Connection c) { (void)c.recv<int>(); }, b);
  q.start();
  q.kill();
  q.join();
  EXPECT_EQ(q.exitcode(), -SIGKILL);
}

TEST_F(ProcessTest, ExitCodeOfUnderscoreExit) {
  mp::Process p([](int code) { ::_exit(code); }, 42);
  p.start();
  EXPECT_TRUE(p.join_for(5s));
  EXPECT_EQ(p.exitcode(), 42);
}

TEST_F(ProcessTest, DestructorJoins) {
  pid_t pid;
  {
    mp::Process p([] {});
    p.start();
    pid = p.pid();
  }
  EXPECT_TRUE(concur::test::process_gone(pid));
}
