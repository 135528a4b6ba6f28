// communicate(): never deadlocks, keeps partial output on timeout, resumes without loss.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <concur/subprocess.hpp>

#include "test_util.hpp"

using namespace concur::subprocess;
using namespace std::chrono_literals;
using concur::test::helper;

namespace {

class Communicate : public concur::test::NoLeakTest {};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

}  // namespace

TEST_F(Communicate, EightMiBInAndMoreOutOnBothStreams) {
  const std::string input = pattern(8 << 20);
  Popen p({helper("subprocess_tee2"), "100000"}, {.in = PIPE, .out = PIPE, .err = PIPE});
  auto [out, err] = p.communicate(input, 60s);
  EXPECT_EQ(p.returncode(), 0);
  EXPECT_TRUE(out == input) << out.size();
  EXPECT_EQ(err.size(), input.size() + 100000);
  EXPECT_TRUE(err.compare(100000, std::string::npos, input) == 0);
}

TEST_F(Communicate, RunWithHugeInputAndCapture) {
  const std::string input = pattern(8 << 20);
  auto r = run({helper("subprocess_tee2")}, {.input = input, .capture_output = true});
  EXPECT_TRUE(r.out == input);
  EXPECT_TRUE(r.err == input);
}

TEST_F(Communicate, WithoutPipesJustWaits) {
  Popen p({"sh", "-c", "exit 5"});
  auto [out, err] = p.communicate();
  EXPECT_EQ(out, "");
  EXPECT_EQ(p.returncode(), 5);
}

TEST_F(Communicate, TimeoutThenResumeLosesNothing) {
  Popen p({"sh", "-c", "echo first; echo e1 >&2; sleep 0.4; echo second; echo e2 >&2"},
          {.out = PIPE, .err = PIPE});
  bool timed_out = false;
  try {
    p.communicate(std::nullopt, 100ms);
  } catch (const TimeoutExpired& e) {
    timed_out = true;
    EXPECT_EQ(e.out, "first\n");
    EXPECT_EQ(e.err, "e1\n");
    EXPECT_EQ(e.timeout, 100ms);
  }
  EXPECT_TRUE(timed_out);
  auto [out, err] = p.communicate();
  EXPECT_EQ(out, "first\nsecond\n");
  EXPECT_EQ(err, "e1\ne2\n");
  EXPECT_EQ(p.returncode(), 0);
}

TEST_F(Communicate, TimeoutMidInputResumesInput) {
  // The child reads nothing for a while, so 4 MiB of input cannot all be written in time.
  const std::string input = pattern(4 << 20);
  Popen p({"sh", "-c", "sleep 0.3; exec cat"}, {.in = PIPE, .out = PIPE});
  EXPECT_THROW(p.communicate(input, 50ms), TimeoutExpired);
  EXPECT_THROW(p.communicate("more", 1s), std::logic_error);  // input only on the first call
  auto [out, err] = p.communicate(std::nullopt, 60s);
  EXPECT_TRUE(out == input) << out.size();
}

TEST_F(Communicate, ChildClosingStdinEarlyIsNotAnError) {
  // `true` never reads: writing 4 MiB hits EPIPE, which communicate ignores (as Python).
  Popen p({"true"}, {.in = PIPE, .out = PIPE});
  auto [out, err] = p.communicate(std::string(4 << 20, 'x'), 30s);
  EXPECT_EQ(p.returncode(), 0);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
}

TEST_F(Communicate, IncludesWhatReadlineBuffered) {
  Popen p({"printf", "one\\ntwo\\nthree\\n"}, {.out = PIPE});
  EXPECT_EQ(p.out().readline(), "one\n");
  EXPECT_EQ(p.communicate().out, "two\nthree\n");
}

TEST_F(Communicate, InputWithoutPipeIsLogicError) {
  Popen p({"true"});
  EXPECT_THROW(p.communicate("x"), std::logic_error);
  p.wait();
}

TEST_F(Communicate, GrandchildHoldingPipeDoesNotHideExit) {
  // The child exits at once; a grandchild keeps stdout open for a while: communicate waits for
  // EOF, as Python does, and the exit status is still right.
  Popen p({"sh", "-c", "(sleep 0.2; echo late) & echo early; exit 3"}, {.out = PIPE});
  auto [out, err] = p.communicate(std::nullopt, 10s);
  EXPECT_EQ(out, "early\nlate\n");
  EXPECT_EQ(p.returncode(), 3);
}

TEST_F(Communicate, WithoutInputClosesStdin) {
  Popen p({"cat"}, {.in = PIPE, .out = PIPE});
  EXPECT_EQ(p.communicate(std::nullopt, 30s).out, "");
  EXPECT_EQ(p.returncode(), 0);
}

TEST_F(Communicate, TextModeNormalisesBothStreams) {
  Popen p({"sh", "-c", "printf 'a\\r\\nb\\r'; printf 'c\\r\\n' >&2"},
          {.out = PIPE, .err = PIPE, .text = true});
  auto [out, err] = p.communicate();
  EXPECT_EQ(out, "a\nb\n");
  EXPECT_EQ(err, "c\n");
}

TEST_F(Communicate, TextModeCrLfSplitAcrossReadlineAndCommunicate) {
  // "a\r" arrives first (readline gives "a\n"); the "\n" completing "\r\n" comes later and must not
  // become an empty line.
  Popen p({"sh", "-c", "printf 'a\\r'; read x; printf '\\nb\\r\\n'"},
          {.in = PIPE, .out = PIPE, .text = true});
  EXPECT_EQ(p.out().readline(), "a\n");
  p.in().write("go\n");
  EXPECT_EQ(p.communicate(std::nullopt, 30s).out, "b\n");
}
