// `concur run` under faults and volume: SIGKILLed mid-run then --resume'd (every job finished
// exactly once across the two runs' joblog lines, none lost, none rerun after it finished),
// and jobs printing 10 GiB in total while the runner's peak RSS (VmHWM) stays under 64 MiB.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <concur/subprocess.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/leak_check.hpp"

extern char** environ;

namespace {

namespace sp = concur::subprocess;

struct Dir {
  Dir() {
    char tmpl[] = "/tmp/concur-soak-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Dir() { sp::run({"rm", "-rf", path}); }
  std::string path;
};

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

// Seqs of joblog lines [from, to) that finished ok, in file order (duplicates kept).
std::vector<std::size_t> finished_ok(const std::vector<std::string>& log, std::size_t from) {
  std::vector<std::size_t> seqs;
  for (std::size_t i = from; i < log.size(); ++i) {
    std::istringstream in(log[i]);
    std::vector<std::string> cols;
    for (std::string c; std::getline(in, c, '\t');) cols.push_back(c);
    if (cols.size() < 9 || cols[0] == "Seq") continue;
    if (cols[6] == "0" && cols[7] == "0") seqs.push_back(std::stoul(cols[0]));
  }
  return seqs;
}

TEST(RunSoak, KilledMidRunThenResumedRunsEveryJobToTheEndExactlyOnce) {
  Dir d;
  constexpr std::size_t jobs = 300, killer = 120;
  const std::string marks = d.path + "/marks", log = d.path + "/joblog";
  // Job `killer` SIGKILLs the runner (its parent) the first time it runs.
  const std::string command =
      "echo start {} >> " + marks + "; if [ {} -eq " + std::to_string(killer) + " ] && mkdir " +
      d.path + "/killed 2>/dev/null; then kill -KILL $PPID; fi; echo end {} >> " + marks;
  std::vector<std::string> args = {CONCUR_CLI_PATH, "run", "-j4", "--shell", "--no-progress",
                                   "--joblog",      log,   "--",  command,   ":::"};
  for (std::size_t i = 1; i <= jobs; ++i) args.push_back(std::to_string(i));
  const auto first = sp::run(args, {.out = sp::DEVNULL, .err = sp::DEVNULL});
  ASSERT_EQ(first.returncode, -SIGKILL) << "the runner was to be killed by job " << killer;
  // Jobs of the killed run may still be finishing: wait until each start has its end.
  ASSERT_TRUE(concur::test::eventually([&] {
    std::size_t starts = 0, ends = 0;
    for (const auto& l : lines_of(marks)) (l.rfind("start", 0) == 0 ? starts : ends)++;
    return starts == ends;
  }));
  const auto log_after_kill = lines_of(log);
  const auto ok1 = finished_ok(log_after_kill, 0);
  ASSERT_FALSE(ok1.empty());
  ASSERT_LT(ok1.size(), jobs);

  args.insert(args.begin() + 2, "--resume");
  const auto second = sp::run(args, {.out = sp::DEVNULL, .err = sp::DEVNULL});
  EXPECT_EQ(second.returncode, 0);
  const auto log_after_resume = lines_of(log);
  ASSERT_GE(log_after_resume.size(), log_after_kill.size());
  for (std::size_t i = 0; i < log_after_kill.size(); ++i)
    ASSERT_EQ(log_after_resume[i], log_after_kill[i]) << "the resumed run rewrote line " << i;
  const auto ok2 = finished_ok(log_after_resume, log_after_kill.size());

  std::map<std::size_t, int> finished;
  for (auto s : ok1) finished[s]++;
  for (auto s : ok2) finished[s]++;
  EXPECT_EQ(finished.size(), jobs) << "jobs lost";
  for (const auto& [seq, n] : finished)
    EXPECT_EQ(n, 1) << "job " << seq << " finished " << n << "x";

  std::map<std::size_t, int> starts;
  for (const auto& l : lines_of(marks))
    if (l.rfind("start ", 0) == 0) starts[std::stoul(l.substr(6))]++;
  for (auto s : ok1)
    EXPECT_EQ(starts[s], 1) << "job " << s << " ran again after the joblog showed it finished";
  EXPECT_EQ(starts.size(), jobs);
}

// Starts argv with stdout and stderr on /dev/null; returns {exit status, peak VmHWM in KiB},
// sampling /proc/<pid>/status until the child exits (WNOWAIT keeps it readable till then).
std::pair<int, long> run_sampling_vmhwm(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return {-1, 0};
  long peak = 0;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0 &&
        errno != EINTR)
      break;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmHWM:", 0) == 0) peak = std::max(peak, std::stol(line.substr(6)));
    if (info.si_pid == pid) break;  // exited: the reading above was its last
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a sampling period
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, peak};
}

TEST(RunSoak, JobsPrintingTenGiBKeepTheRunnerUnder64MiB) {
  std::vector<std::string> args = {CONCUR_CLI_PATH,
                                   "run",
                                   "-j2",
                                   "--no-progress",
                                   "--",
                                   "sh",
                                   "-c",
                                   "head -c 1073741824 /dev/zero",
                                   ":::"};
  for (int i = 1; i <= 10; ++i) args.push_back(std::to_string(i));
  const auto [status, peak_kib] = run_sampling_vmhwm(args);
  EXPECT_EQ(status, 0);
  EXPECT_GT(peak_kib, 0);
  EXPECT_LT(peak_kib, 64 * 1024) << "peak RSS " << peak_kib << " KiB";
  RecordProperty("peak_rss_kib", static_cast<int>(peak_kib));
}

}  // namespace
