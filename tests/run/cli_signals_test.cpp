// concur run end to end: SIGINT / SIGTERM stop the run, signal running job groups,
// and reports are written for what finished.
#include <signal.h>

#include <support/leak_check.hpp>

#include "cli_support.hpp"

namespace {

using namespace concur::test::run;

struct Interrupted {
  int status;
  std::string err, joblog, junit;
  std::vector<pid_t> job_pids;
};

// Starts a run whose first job finishes at once and whose other jobs announce
// themselves on a fifo and then block; once two are running, sends `signals`. With
// `trap_term` the jobs survive SIGTERM, saying so on the fifo: the test waits for that
// before sending the next signal (two signals sent at once would merge into one).
Interrupted interrupt_run(const std::vector<int>& signals, bool trap_term = false) {
  TempDir dir;
  Fifo fifo(dir / "started");
  const std::string job =
      trap_term ? "[ $0 = 0 ] && exit 0; trap 'echo term > " + fifo.path() + "' TERM; echo $$ > " +
                      fifo.path() + "; while :; do sleep 1; done"
                : "[ $0 = 0 ] && exit 0; echo $$ > " + fifo.path() + "; exec sleep 30";
  sp::Popen p({kConcur,   "run",         "-j", "2",  "--kill-after", "20s", "--joblog", dir / "log",
               "--junit", dir / "j.xml", "--", "sh", "-c",           job,   ":::",      "0",
               "1",       "2",           "3",  "4"},
              {.in = sp::DEVNULL, .out = sp::DEVNULL, .err = sp::PIPE});
  Interrupted result;
  for (const auto& l : fifo.read_lines(2)) result.job_pids.push_back(std::stoi(l));
  std::size_t expected = 2;
  for (const int sig : signals) {
    if (trap_term && expected > 2) {
      EXPECT_EQ(fifo.read_lines(expected).size(), expected);
    }
    p.send_signal(sig);
    expected += 2;
  }
  result.err = p.err().read();
  result.status = p.wait(std::chrono::seconds(10));
  result.joblog = read_text(dir / "log");
  result.junit = read_text(dir / "j.xml");
  return result;
}

TEST(RunSignals, SigintStopsTheRunAndExits130) {
  const auto r = interrupt_run({SIGINT});
  EXPECT_EQ(r.status, 130) << r.err;
  ASSERT_EQ(r.job_pids.size(), 2u);
  for (const pid_t pid : r.job_pids) EXPECT_TRUE(concur::test::process_gone(pid));
  EXPECT_NE(r.err.find("1 passed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("4 interrupted"), std::string::npos) << r.err;  // 2 killed, 2 never started
  // Nothing finished is lost: the joblog has the job that passed and the two killed ones.
  const auto log = lines_of(r.joblog);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[1].substr(0, 2), "1\t");
  EXPECT_EQ(count_of(r.joblog, "\t0\t15\t"), 2);  // killed by SIGTERM
  EXPECT_EQ(count_of(r.junit, "<testcase "), 5);
  EXPECT_EQ(count_of(r.junit, "interrupted"), 4);
}

TEST(RunSignals, SigtermExits143) {
  const auto r = interrupt_run({SIGTERM});
  EXPECT_EQ(r.status, 143) << r.err;
  for (const pid_t pid : r.job_pids) EXPECT_TRUE(concur::test::process_gone(pid));
}

TEST(RunSignals, SecondSignalKillsJobsThatIgnoreSigterm) {
  // The jobs survive SIGTERM (and --kill-after is 20s): only the second SIGINT's SIGKILL ends them.
  const auto start = std::chrono::steady_clock::now();
  const auto r = interrupt_run({SIGINT, SIGINT}, /*trap_term=*/true);
  EXPECT_EQ(r.status, 130) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  for (const pid_t pid : r.job_pids) EXPECT_TRUE(concur::test::process_gone(pid));
  EXPECT_EQ(count_of(r.joblog, "\t0\t9\t"), 2);  // killed by SIGKILL
}

TEST(RunSignals, InheritedIgnoredSigintStaysIgnoredButJobsGetDefaults) {
  // As a non-interactive shell's `concur run ... &`: SIGINT arrives ignored. The runner keeps
  // ignoring it (Ctrl-C meant for the foreground spares it), while its jobs start with every
  // signal at SIG_DFL, as ctest gives its tests.
  TempDir dir;
  Fifo fifo(dir / "started");
  const std::string job = "grep SigIgn /proc/self/status > " + (dir / "sigign") + "; echo $$ > " +
                          fifo.path() + "; exec sleep 30";
  struct sigaction ign {};
  struct sigaction old {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  ASSERT_EQ(::sigaction(SIGINT, &ign, &old), 0);
  std::optional<sp::Popen> p;
  try {
    p.emplace(std::vector<std::string>{kConcur, "run", "--", "sh", "-c", job, ":::", "1"},
              sp::Options{.in = sp::DEVNULL, .out = sp::DEVNULL, .err = sp::PIPE});
  } catch (...) {
    ::sigaction(SIGINT, &old, nullptr);
    throw;
  }
  ::sigaction(SIGINT, &old, nullptr);
  const auto pids = fifo.read_lines(1);
  ASSERT_EQ(pids.size(), 1u);
  // SIGINT first, then SIGTERM: a runner that acted on SIGINT would exit 130.
  p->send_signal(SIGINT);
  p->send_signal(SIGTERM);
  const std::string err = p->err().read();
  EXPECT_EQ(p->wait(std::chrono::seconds(10)), 143) << err;
  EXPECT_TRUE(concur::test::process_gone(std::stoi(pids[0])));
  EXPECT_EQ(read_text(dir / "sigign"), "SigIgn:\t0000000000000000\n");
}

}  // namespace
