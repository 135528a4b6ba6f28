// Popen: the handle, waiting, signals, pipe streams, moves.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <concur/subprocess.hpp>

#include "test_util.hpp"

using namespace concur::subprocess;
using namespace std::chrono_literals;

namespace {
class PopenTest : public concur::test::NoLeakTest {};
}  // namespace

TEST_F(PopenTest, ReadsLinesOfLsThroughPipe) {
  Popen p({"ls", "-l", "/"}, {.out = PIPE});
  int lines = 0;
  bool saw_total = false;
  while (auto line = p.out().readline()) {
    EXPECT_EQ(line->back(), '\n');
    saw_total = saw_total || line->rfind("total", 0) == 0;
    ++lines;
  }
  EXPECT_TRUE(saw_total);
  EXPECT_GT(lines, 3);
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(PopenTest, ReadlineKeepsLastLineWithoutNewline) {
  Popen p({"printf", "a\\nbb\\nccc"}, {.out = PIPE});
  EXPECT_EQ(p.out().readline(), "a\n");
  EXPECT_EQ(p.out().readline(), "bb\n");
  EXPECT_EQ(p.out().readline(), "ccc");
  EXPECT_EQ(p.out().readline(), std::nullopt);
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(PopenTest, ReadReadsToEofOrCount) {
  Popen p({"printf", "0123456789"}, {.out = PIPE});
  EXPECT_EQ(p.out().read(3), "012");
  EXPECT_EQ(p.out().read(), "3456789");
  EXPECT_EQ(p.out().read(), "");
  p.wait();
}

TEST_F(PopenTest, WriteThenCloseGivesEof) {
  Popen p({"cat"}, {.in = PIPE, .out = PIPE});
  p.in().write("hello ");
  p.in().write("world");
  p.in().close();
  EXPECT_EQ(p.in().fileno(), -1);  // still accessible after close, as Python's p.stdin
  EXPECT_THROW(p.in().write("late"), std::logic_error);
  EXPECT_EQ(p.out().read(), "hello world");
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(PopenTest, TextModeReadlineNormalises) {
  Popen p({"printf", "a\\r\\nb\\rc"}, {.out = PIPE, .text = true});
  EXPECT_EQ(p.out().readline(), "a\n");
  EXPECT_EQ(p.out().readline(), "b\n");
  EXPECT_EQ(p.out().readline(), "c");
  p.wait();
}

TEST_F(PopenTest, UnpipedStreamAccessThrowsLogicError) {
  Popen p({"true"});
  EXPECT_THROW(p.in(), std::logic_error);
  EXPECT_THROW(p.out(), std::logic_error);
  EXPECT_THROW(p.err(), std::logic_error);
  p.wait();
}

TEST_F(PopenTest, PollIsNonBlockingAndWaitReaps) {
  Popen p({"cat"}, {.in = PIPE});
  EXPECT_EQ(p.poll(), std::nullopt);
  EXPECT_EQ(p.returncode(), std::nullopt);
  EXPECT_GT(p.pid(), 0);
  p.in().close();
  EXPECT_EQ(p.wait(), 0);
  EXPECT_EQ(p.poll(), 0);
  EXPECT_EQ(p.returncode(), 0);
}

TEST_F(PopenTest, WaitTimeoutThrowsAndLeavesChildRunning) {
  Popen p({"sleep", "30"});
  EXPECT_THROW(p.wait(20ms), TimeoutExpired);
  EXPECT_EQ(p.wait_for(10ms), std::nullopt);
  EXPECT_EQ(p.returncode(), std::nullopt);
  p.kill();
  EXPECT_EQ(p.wait(5s), -SIGKILL);
  EXPECT_EQ(p.wait_for(1ms), -SIGKILL);
}

TEST_F(PopenTest, SignalsBecomeNegativeReturncodes) {
  Popen a({"sleep", "30"});
  a.terminate();
  EXPECT_EQ(a.wait(), -SIGTERM);
  Popen b({"sleep", "30"});
  b.send_signal(SIGINT);
  EXPECT_EQ(b.wait(), -SIGINT);
  b.kill();  // after reaping: no effect, no throw
}

TEST_F(PopenTest, KillFromAnotherThreadWhileWaiting) {
  Popen p({"sleep", "30"});
  std::thread killer([&] { p.kill(); });
  EXPECT_EQ(p.wait(), -SIGKILL);
  killer.join();
}

TEST_F(PopenTest, DestructorClosesPipesAndWaits) {
  pid_t pid;
  {
    Popen p({"cat"}, {.in = PIPE, .out = PIPE});
    pid = p.pid();
  }  // cat sees EOF on stdin, exits, is reaped: NoLeakTest checks
  EXPECT_TRUE(concur::test::process_gone(pid));
}

TEST_F(PopenTest, IsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<Popen>);
  static_assert(std::is_nothrow_move_constructible_v<Popen>);
  Popen a({"echo", "moved"}, {.out = PIPE});
  Popen b(std::move(a));
  EXPECT_EQ(b.out().read(), "moved\n");
  Popen c({"true"});
  c = std::move(b);  // waits for c's former child
  EXPECT_EQ(c.wait(), 0);
  std::vector<Popen> many;
  for (int i = 0; i < 4; ++i) many.emplace_back(std::vector<std::string>{"true"});
  for (auto& p : many) EXPECT_EQ(p.wait(), 0);
}

TEST_F(PopenTest, ArgsAreKept) {
  Popen p({"true", "x"});
  EXPECT_EQ(p.args(), (std::vector<std::string>{"true", "x"}));
  p.wait();
}

TEST_F(PopenTest, WriteToClosedChildThrowsBrokenPipeNotSigpipe) {
  Popen p({"true"}, {.in = PIPE});
  p.wait();  // the child is gone: its read end is closed
  EXPECT_THROW(p.in().write(std::string(1 << 20, 'x')), BrokenPipeError);
  try {
    p.in().write("again");
  } catch (const BrokenPipeError& e) {
    EXPECT_EQ(e.code(), std::errc::broken_pipe);
  }
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE)) << "our SIGPIPE must be consumed";
}
