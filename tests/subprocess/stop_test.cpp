// Popen::stop (SIGTERM, grace, SIGKILL, group), Popen::pidfd, and the Popen constructor
// refusing the options only run()/call() read.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <concur/subprocess.hpp>
#include <string>

#include "test_util.hpp"

using namespace concur::subprocess;
using namespace std::chrono_literals;
using concur::test::eventually;
using concur::test::process_gone;
using Clock = std::chrono::steady_clock;

namespace {

class Stop : public concur::test::NoLeakTest {};

// Reads the child's first line: it is printed once its traps are in place.
std::string first_line(Popen& p) { return p.out().readline().value_or(""); }

}  // namespace

TEST_F(Stop, CooperativeChildEndsWithSigtermLongBeforeTheGrace) {
  Popen p({"sh", "-c", "echo ready; exec sleep 60"}, {.out = PIPE});
  ASSERT_EQ(first_line(p), "ready\n");
  const auto t0 = Clock::now();
  EXPECT_EQ(p.stop(30s), -SIGTERM);
  EXPECT_LT(Clock::now() - t0, 10s);
  EXPECT_EQ(p.returncode(), -SIGTERM);
}

TEST_F(Stop, ChildIgnoringSigtermIsKilledAfterTheGrace) {
  Popen p({"sh", "-c", "trap '' TERM; echo ready; exec sleep 60"}, {.out = PIPE});
  ASSERT_EQ(first_line(p), "ready\n");
  const auto t0 = Clock::now();
  EXPECT_EQ(p.stop(200ms), -SIGKILL);
  EXPECT_GE(Clock::now() - t0, 200ms);
  EXPECT_EQ(p.pidfd(), -1);
}

TEST_F(Stop, ZeroGraceKillsAtOnce) {
  Popen p({"sh", "-c", "trap '' TERM; echo ready; exec sleep 60"}, {.out = PIPE});
  ASSERT_EQ(first_line(p), "ready\n");
  EXPECT_EQ(p.stop(0s), -SIGKILL);
}

TEST_F(Stop, StoppedChildIsContinuedSoItCanActOnSigterm) {
  Popen p({"sh", "-c", "echo ready; exec sleep 60"}, {.out = PIPE});
  ASSERT_EQ(first_line(p), "ready\n");
  p.send_signal(SIGSTOP);
  ASSERT_TRUE(eventually([&] {
    concur::test::ProcStat s;
    return concur::test::read_stat(p.pid(), s) && s.state == 'T';
  }));
  EXPECT_EQ(p.stop(30s), -SIGTERM);
}

TEST_F(Stop, KillsAGrandchildThatIgnoresSigtermInTheChildsGroup) {
  // The leader dies of SIGTERM at once; its background child ignores it and must get SIGKILL.
  Popen p({"sh", "-c", "trap '' TERM; sleep 60 & trap - TERM; echo $!; exec sleep 60"},
          {.out = PIPE, .process_group = 0});
  const pid_t grandchild = std::stoi(first_line(p));
  const auto t0 = Clock::now();
  EXPECT_EQ(p.stop(30s), -SIGTERM);
  EXPECT_LT(Clock::now() - t0, 10s);  // the leader's exit ends the grace
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }));
}

TEST_F(Stop, KillsTheWholeSessionAfterTheGrace) {
  Popen p({"sh", "-c", "trap '' TERM; sleep 60 & echo $!; exec sleep 60"},
          {.out = PIPE, .start_new_session = true});
  const pid_t grandchild = std::stoi(first_line(p));
  EXPECT_EQ(p.stop(100ms), -SIGKILL);
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }));
  EXPECT_TRUE(eventually([&] { return concur::test::live_in_group(p.pid()).empty(); }));
}

TEST_F(Stop, WithoutAGroupOnlyTheChildIsSignalled) {
  Popen p({"sh", "-c", "sleep 60 >/dev/null & echo $!; exec sleep 60"}, {.out = PIPE});
  const pid_t grandchild = std::stoi(first_line(p));
  EXPECT_EQ(p.stop(30s), -SIGTERM);
  EXPECT_FALSE(process_gone(grandchild));  // as Python's terminate(): not ours to kill
  ::kill(grandchild, SIGKILL);
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }));
}

TEST_F(Stop, AfterTheChildIsReapedReturnsItsReturncode) {
  Popen p({"sh", "-c", "exit 3"});
  EXPECT_EQ(p.wait(), 3);
  EXPECT_EQ(p.stop(), 3);
}

TEST_F(Stop, ExitedButUnreapedChildKeepsItsStatus) {
  Popen p({"sh", "-c", "exit 4"});
  pollfd fd{p.pidfd(), POLLIN, 0};
  ASSERT_GE(fd.fd, 0);
  ASSERT_EQ(::poll(&fd, 1, 5000), 1);  // exited, a zombie
  EXPECT_EQ(p.stop(), 4);
}

TEST_F(Stop, PidfdPollsReadableOnExitAndIsMinusOneOnceReaped) {
  Popen p({"sh", "-c", "read x"}, {.in = PIPE});
  const int fd = p.pidfd();
  ASSERT_GE(fd, 0);
  pollfd pfd{fd, POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);  // still running
  p.in().close();                    // `read` sees EOF: the shell exits 1
  ASSERT_EQ(::poll(&pfd, 1, 5000), 1);
  EXPECT_TRUE(pfd.revents & POLLIN);
  EXPECT_EQ(p.pidfd(), fd);  // exited but not reaped: still the child's
  EXPECT_EQ(p.wait(), 1);
  EXPECT_EQ(p.pidfd(), -1);
}

TEST_F(Stop, PopenRejectsEachRunOnlyOptionNamingIt) {
  const auto rejected = [](const Options& o, const std::string& field) {
    try {
      Popen p({"true"}, o);
      ADD_FAILURE() << field << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("'" + field + "'"), std::string::npos) << e.what();
    }
  };
  rejected({.timeout = 5s}, "timeout");
  rejected({.input = "x"}, "input");
  rejected({.in = PIPE, .input = ""}, "input");
  rejected({.capture_output = true}, "capture_output");
  rejected({.check = true}, "check");
  // run() and call() still take them.
  EXPECT_EQ(run({"cat"}, {.input = "x", .capture_output = true, .timeout = 5s, .check = true}).out,
            "x");
  EXPECT_EQ(call({"true"}, {.timeout = 5s}), 0);
  EXPECT_THROW(call({"true"}, {.check = true}), std::invalid_argument);  // as Python: TypeError
}

TEST_F(Stop, RunAndCallTimeoutsBothKillTheGroupAndThrowTimeoutExpired) {
  for (const bool use_run : {true, false}) {
    const Options o{.timeout = 200ms, .process_group = 0};
    const std::vector<std::string> cmd{"sh", "-c", "trap '' TERM; exec sleep 60"};
    const auto t0 = Clock::now();
    if (use_run) {
      EXPECT_THROW(run(cmd, o), TimeoutExpired);
    } else {
      EXPECT_THROW(call(cmd, o), TimeoutExpired);
    }
    EXPECT_LT(Clock::now() - t0, 10s) << (use_run ? "run" : "call");  // SIGKILL, no grace
  }
}
