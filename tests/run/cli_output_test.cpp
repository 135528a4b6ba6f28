// concur run end to end: how jobs' output is printed, and the progress bar.
#include <pty.h>
#include <sys/wait.h>

#include "cli_support.hpp"

namespace {

using namespace concur::test::run;

TEST(RunOutput, GroupedPerJobNeverInterleaved) {
  TempDir dir;
  ::mkfifo((dir / "f").c_str(), 0600);
  const std::string script = "if [ $0 = a ]; then echo a1; read x < " + (dir / "f") +
                             "; echo a2; else echo b1; echo go > " + (dir / "f") + "; echo b2; fi";
  const auto r = concur_run({"-j", "2", "--", "sh", "-c", script, ":::", "a", "b"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == "a1\na2\nb1\nb2\n" || r.out == "b1\nb2\na1\na2\n") << r.out;
}

TEST(RunOutput, KeepOrderPrintsInInputOrder) {
  TempDir dir;
  ::mkfifo((dir / "f").c_str(), 0600);
  // Job 1 cannot finish before job 2 has run: without -k its output would come second.
  const std::string script = "if [ $0 = 1 ]; then read x < " + (dir / "f") +
                             "; echo one; else echo go > " + (dir / "f") + "; echo two; fi";
  const auto r = concur_run({"-k", "-j", "2", "--", "sh", "-c", script, ":::", "1", "2"});
  EXPECT_EQ(r.out, "one\ntwo\n");
}

TEST(RunOutput, LineBufferPassesLinesThroughAsTheyCome) {
  TempDir dir;
  Fifo release(dir / "release");
  // The job prints a line, then waits for the test, which waits to see that line first.
  sp::Popen p({kConcur, "run", "--line-buffer", "--tag", "--", "sh", "-c",
               "echo first; read x < " + release.path() + "; echo second", ":::", "v"},
              {.in = sp::DEVNULL, .out = sp::PIPE, .err = sp::DEVNULL});
  const auto first = p.out().readline();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "v\tfirst\n");
  std::ofstream(release.path()) << "go\n";
  EXPECT_EQ(p.out().readline().value_or(""), "v\tsecond\n");
  EXPECT_EQ(p.wait(std::chrono::seconds(10)), 0);
}

TEST(RunOutput, TagPrefixesEveryLine) {
  const auto r = concur_run({"-j", "1", "--tag", "printf", "x\\ny", ":::", "a b"});
  EXPECT_EQ(r.out, "a b\tx\na b\ty\n");
}

TEST(RunOutput, QuietPrintsOnlyTheSummary) {
  const auto r = concur_run({"-q", "sh", "-c", "echo out; echo err >&2", ":::", "1"});
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find("err\n"), std::string::npos);
  EXPECT_NE(r.err.find("1 passed"), std::string::npos);
}

TEST(RunOutput, StderrGoesToStderr) {
  const auto r = concur_run({"sh", "-c", "echo out; echo err >&2", ":::", "1"});
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err.rfind("err\n", 0), 0u) << r.err;
}

TEST(RunProgress, NoBarWhenStderrIsNotATerminal) {
  const auto r = concur_run({"true", ":::", "1", "2"});
  EXPECT_EQ(r.err.find("ETA"), std::string::npos);
  const auto forced = concur_run({"--progress", "true", ":::", "1", "2"});
  EXPECT_NE(forced.err.find("ETA"), std::string::npos);
  EXPECT_NE(forced.err.find("2/2 100%"), std::string::npos) << forced.err;
}

// Runs `concur run ARGS` with stdio on a pseudo-terminal; returns everything it printed.
std::string run_on_pty(const std::vector<std::string>& args) {
  int master = -1;
  std::vector<std::string> full = {kConcur, "run"};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EIO once the child side is closed
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

TEST(RunProgress, BarOnATerminalShowsCountPercentRunningAndEta) {
  const std::string out = run_on_pty({"-j", "2", "true", ":::", "1", "2", "3"});
  EXPECT_NE(out.find("ETA"), std::string::npos) << out;
  EXPECT_NE(out.find("running"), std::string::npos);
  EXPECT_NE(out.find("3/3 100%"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\033[K"), std::string::npos);  // redrawn in place, cleared at the end
  const std::string off = run_on_pty({"--no-progress", "true", ":::", "1"});
  EXPECT_EQ(off.find("ETA"), std::string::npos) << off;
}

}  // namespace
