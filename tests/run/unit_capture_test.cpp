#include <gtest/gtest.h>

#include <support/leak_check.hpp>

#include "capture.hpp"
#include "progress.hpp"
#include "reports.hpp"

namespace {

using namespace concur::cli::run;

std::string replayed(const Capture& c) {
  std::string all;
  c.replay([&](std::string_view chunk) { all.append(chunk); });
  return all;
}

TEST(RunCapture, KeepsSmallOutputInMemory) {
  Capture c(1024);
  c.append("hello\n", 6);
  EXPECT_FALSE(c.spilled());
  EXPECT_EQ(replayed(c), "hello\n");
  EXPECT_EQ(c.size(), 6u);
}

TEST(RunCapture, SpillsBeyondTheLimitAndLosesNothing) {
  concur::test::LeakGuard guard;
  {
    Capture c(1000);
    std::string expect;
    for (int i = 0; i < 500; ++i) {
      const std::string line = "line " + std::to_string(i) + "\n";
      c.append(line.data(), line.size());
      expect += line;
    }
    EXPECT_TRUE(c.spilled());
    EXPECT_EQ(replayed(c), expect);
    EXPECT_EQ(c.tail_lines(2), "line 498\nline 499");
    Capture moved = std::move(c);
    EXPECT_EQ(replayed(moved), expect);
  }
  guard.check();  // the spill file is closed
}

TEST(RunCapture, TailOnlyModeKeepsJustTheTail) {
  Capture c(10, /*keep=*/false);
  const std::string big(100000, 'x');
  c.append(big.data(), big.size());
  c.append("end", 3);
  EXPECT_FALSE(c.spilled());
  EXPECT_EQ(replayed(c), "");
  EXPECT_EQ(c.tail().size(), Capture::kTailBytes);
  EXPECT_EQ(c.tail().substr(Capture::kTailBytes - 3), "end");
}

TEST(RunProgress, RendersCountPercentRunningAndEta) {
  const std::string s = Progress::render(5, 2, 10, 10.0);
  EXPECT_NE(s.find("5/10"), std::string::npos);
  EXPECT_NE(s.find("50%"), std::string::npos);
  EXPECT_NE(s.find("running 2"), std::string::npos);
  EXPECT_NE(s.find("ETA 0:10"), std::string::npos);
}

TEST(RunSummary, NamesFailuresWithStatusAndLastStderrLines) {
  JobResult ok;
  ok.seq = 1;
  ok.command = "true";
  ok.started = true;
  ok.outcome = Outcome::passed;
  JobResult bad = ok;
  bad.seq = 2;
  bad.command = "make test";
  bad.outcome = Outcome::failed;
  bad.exit_status = 3;
  bad.stderr_tail = "1\n2\n3\n4\n5\n6\nlast \x1b[2J line\n";
  const std::vector<JobResult> results = {ok, bad};
  const std::string s = summary_text(results, total(results, 1.0, 0, false));
  EXPECT_NE(s.find("1 passed, 1 failed"), std::string::npos);
  EXPECT_NE(s.find("FAILED #2 make test: exit status 3"), std::string::npos);
  EXPECT_NE(s.find("| last ?[2J line"), std::string::npos);
  EXPECT_EQ(s.find("| 1\n"), std::string::npos);  // only the last lines
  EXPECT_EQ(total(results, 1.0, 0, false).exit_status, 1);
}

TEST(RunTotals, ExitStatusAsGnuParallel) {
  std::vector<JobResult> results(150);
  for (auto& r : results) r.outcome = Outcome::failed;
  EXPECT_EQ(total(results, 1, 0, false).exit_status, 101);
  results.resize(100);
  EXPECT_EQ(total(results, 1, 0, false).exit_status, 100);
  EXPECT_EQ(total(results, 1, SIGTERM, false).exit_status, 143);
}

}  // namespace
