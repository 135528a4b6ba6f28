// Process: start, join, exit codes, signals; arguments travel serialized.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <concur/multiprocessing.hpp>
#include <string>
#include <thread>
#include <tuple>
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

// PR_SET_PDEATHSIG fires when the forking *thread* exits: a child started from a thread that
// ends must go on running (Python's children do), not be SIGKILLed with that thread.
TEST_F(ProcessTest, OutlivesTheThreadThatStartedIt) {
  auto [parent_end, child_end] = mp::Pipe();
  mp::Process p(
      [](mp::Connection c) {
        c.send(0);  // running the target: past the fork's set-up
        c.send(c.recv<int>() + 1);
      },
      child_end);
  std::thread starter([&p, &parent_end] {
    p.start();
    EXPECT_EQ(parent_end.recv<int>(), 0);
  });
  starter.join();  // the starting thread is gone, after the child was set up
  ASSERT_TRUE(p.is_alive());
  parent_end.send(41);
  ASSERT_TRUE(parent_end.poll(5s)) << "the child died with the thread that started it";
  EXPECT_EQ(parent_end.recv<int>(), 42);
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
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

TEST_F(ProcessTest, NamesAreProcessNUnlessGiven) {
  mp::Process a(+[] {});
  mp::Process b(+[] {});
  EXPECT_EQ(a.name().rfind("Process-", 0), 0u);
  EXPECT_NE(a.name(), b.name());
  mp::Process c(
      {.name = "reader", .daemon = true}, +[] {});
  EXPECT_EQ(c.name(), "reader");
  EXPECT_TRUE(c.daemon());
  EXPECT_FALSE(a.daemon());
}

TEST_F(ProcessTest, ChildKnowsItsNameAndParent) {
  auto [parent_end, child_end] = mp::Pipe();
  mp::Process p(
      {.name = "kid"},
      +[](mp::Connection c) {
        const auto parent = mp::parent_process();
        c.send(std::make_tuple(mp::current_process().name, mp::current_process().pid,
                               parent ? parent->name : std::string("?"), parent ? parent->pid : 0));
      },
      child_end);
  p.start();
  const auto [name, pid, parent_name, parent_pid] =
      parent_end.recv<std::tuple<std::string, pid_t, std::string, pid_t>>();
  p.join();
  EXPECT_EQ(name, "kid");
  EXPECT_EQ(pid, p.pid());
  EXPECT_EQ(parent_name, "MainProcess");
  EXPECT_EQ(parent_pid, ::getpid());
}

TEST_F(ProcessTest, SentinelIsReadableOnceTheChildEnded) {
  auto [parent_end, child_end] = mp::Pipe();
  mp::Process p(
      +[](mp::Connection c) { (void)c.recv<int>(); }, child_end);
  EXPECT_THROW((void)p.sentinel(), mp::ProcessError);
  p.start();
  pollfd pfd{p.sentinel(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);
  parent_end.send(1);
  EXPECT_EQ(::poll(&pfd, 1, 5000), 1);
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(ProcessTest, CloseRefusesARunningChildThenReleasesIt) {
  auto [parent_end, child_end] = mp::Pipe();
  mp::Process p(
      +[](mp::Connection c) { (void)c.recv<int>(); }, child_end);
  p.start();
  EXPECT_THROW(p.close(), std::invalid_argument);
  parent_end.send(1);
  p.join();
  p.close();
  p.close();  // idempotent
  EXPECT_THROW((void)p.exitcode(), std::invalid_argument);
  EXPECT_THROW(p.join(), std::invalid_argument);
  EXPECT_EQ(p.name().rfind("Process-", 0), 0u);  // still readable
}

TEST_F(ProcessTest, ActiveChildrenListsRunningOnesAndReapsTheRest) {
  auto [parent_end, child_end] = mp::Pipe();
  mp::Process waiting(
      +[](mp::Connection c) { (void)c.recv<int>(); }, child_end);
  mp::Process quick(+[] {});
  waiting.start();
  quick.start();
  quick.join();
  const auto kids = mp::active_children();
  EXPECT_EQ(kids, std::vector<pid_t>{waiting.pid()});
  parent_end.send(1);
  waiting.join();
  EXPECT_TRUE(mp::active_children().empty());
}

TEST_F(ProcessTest, DaemonIsTerminatedWhenItsProcessObjectGoes) {
  auto [parent_end, child_end] = mp::Pipe();
  pid_t pid = 0;
  {
    mp::Process d(
        {.daemon = true}, +[](mp::Connection c) { (void)c.recv<int>(); }, child_end);
    d.start();
    pid = d.pid();
  }  // no hang: SIGTERM, then reaped
  EXPECT_TRUE(concur::test::process_gone(pid));
}

TEST_F(ProcessTest, DaemonMayNotStartChildren) {
  auto [parent_end, child_end] = mp::Pipe();
  mp::Process d(
      {.daemon = true},
      +[](mp::Connection c) {
        mp::Process inner(+[] {});
        try {
          inner.start();
          c.send(std::string("started"));
        } catch (const mp::ProcessError& e) {
          c.send(std::string(e.what()));
        }
      },
      child_end);
  d.start();
  EXPECT_NE(parent_end.recv<std::string>().find("daemonic"), std::string::npos);
  d.join();
}
