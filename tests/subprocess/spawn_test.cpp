// Spawning: exec failures, fds, sessions and groups, signals, threads.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <concur/shlex.hpp>
#include <concur/subprocess.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <latch>
#include <random>
#include <thread>

#include "test_util.hpp"

using namespace concur::subprocess;
using namespace std::chrono_literals;
using concur::test::helper;
namespace fs = std::filesystem;

namespace {

class Spawn : public concur::test::NoLeakTest {};

std::vector<int> parse_fds(const std::string& s) {
  std::vector<int> v;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t used = 0;
    v.push_back(std::stoi(s.substr(pos), &used));
    pos += used;
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\n')) ++pos;
  }
  return v;
}

}  // namespace

TEST_F(Spawn, MissingProgramIsSpawnErrorWithChildErrno) {
  try {
    Popen p({"concur-no-such-program"});
    FAIL() << "spawned";
  } catch (const SpawnError& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(e.program, "concur-no-such-program");
    EXPECT_NE(std::string(e.what()).find("concur-no-such-program"), std::string::npos);
  }
  EXPECT_THROW(run({"/nonexistent/prog"}), SpawnError);
  EXPECT_THROW(call({"concur-no-such-program"}), std::system_error);
}

TEST_F(Spawn, NotExecutableIsPermissionDenied) {
  const auto file = fs::temp_directory_path() / ("concur_noexec_" + std::to_string(::getpid()));
  std::ofstream(file) << "#!/bin/sh\necho hi\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  try {
    run({file.string()});
    ADD_FAILURE() << "spawned";
  } catch (const SpawnError& e) {
    // root ignores permission bits for reading, but not the execute bit
    EXPECT_EQ(e.code(), std::errc::permission_denied);
    EXPECT_EQ(e.program, file.string());
  }
  fs::remove(file);
}

TEST_F(Spawn, DirectoryIsNotExecutable) { EXPECT_THROW(run({"/tmp"}), SpawnError); }

TEST_F(Spawn, MissingCwdIsSpawnErrorNamingTheDirectory) {
  try {
    run({"true"}, {.cwd = "/nonexistent/dir"});
    FAIL();
  } catch (const SpawnError& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir"), std::string::npos);
  }
}

TEST_F(Spawn, RelativeProgramResolvesAgainstCwd) {
  auto r = run({"./sh", "-c", "echo ok"}, {.capture_output = true, .cwd = "/bin"});
  EXPECT_EQ(r.out, "ok\n");
}

TEST_F(Spawn, CloseFdsClosesEverythingButPassFds) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // deliberately NOT close-on-exec
  auto all = parse_fds(run({helper("subprocess_fds")}, {.capture_output = true}).out);
  EXPECT_EQ(all, (std::vector<int>{0, 1, 2}));
  auto passed = parse_fds(
      run({helper("subprocess_fds")}, {.capture_output = true, .pass_fds = {fds[1]}}).out);
  EXPECT_EQ(passed, (std::vector<int>{0, 1, 2, fds[1]}));
  auto inherited =
      parse_fds(run({helper("subprocess_fds")}, {.capture_output = true, .close_fds = false}).out);
  EXPECT_NE(std::find(inherited.begin(), inherited.end(), fds[0]), inherited.end());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(Spawn, PassFdsWorkEvenWhenCloseOnExec) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const std::string cmd = "echo through >&" + std::to_string(fds[1]);
  run({"sh", "-c", cmd}, {.pass_fds = {fds[1]}});
  ::close(fds[1]);
  char buf[32];
  const auto n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0))), "through\n");
}

TEST_F(Spawn, StartNewSessionMakesChildSessionLeader) {
  Popen p({"sh", "-c", "ps -o sid= -p $$; ps -o pgid= -p $$"},
          {.out = PIPE, .start_new_session = true});
  auto out = p.communicate().out;
  const std::string pid = std::to_string(p.pid());
  EXPECT_EQ(parse_fds(out), (std::vector<int>{p.pid(), p.pid()}));
  (void)pid;
}

TEST_F(Spawn, ProcessGroupZeroMakesNewGroup) {
  Popen p({"sh", "-c", "ps -o pgid= -p $$"}, {.out = PIPE, .process_group = 0});
  EXPECT_EQ(parse_fds(p.communicate().out), (std::vector<int>{p.pid()}));
}

TEST_F(Spawn, TimeoutKillsWholeSession) {
  try {
    // The shell prints its pid (the session id) and its background grandchild's pid.
    run({"sh", "-c", "echo $$; sleep 60 & echo $!; exec sleep 60"},
        {.out = PIPE, .timeout = 300ms, .start_new_session = true});
    FAIL() << "no timeout";
  } catch (const TimeoutExpired& e) {
    const auto pids = parse_fds(e.out);
    ASSERT_EQ(pids.size(), 2u) << e.out;
    EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(pids[1]); }));
    EXPECT_TRUE(
        concur::test::eventually([&] { return concur::test::live_in_session(pids[0]).empty(); }));
  }
}

TEST_F(Spawn, TimeoutInCallKillsWholeGroup) {
  const auto file =
      std::filesystem::temp_directory_path() / ("concur_pg_" + std::to_string(::getpid()));
  EXPECT_THROW(call({"sh", "-c", "sleep 60 & echo $! > " + file.string() + "; exec sleep 60"},
                    {.timeout = 300ms, .process_group = 0}),
               TimeoutExpired);
  std::ifstream f(file);
  pid_t grandchild = 0;
  f >> grandchild;
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(grandchild); }));
  std::filesystem::remove(file);
}

TEST_F(Spawn, TimeoutKillsWholeProcessGroup) {
  try {
    run({"sh", "-c", "sleep 60 & echo $!; exec sleep 60"},
        {.out = PIPE, .timeout = 300ms, .process_group = 0});
    FAIL() << "no timeout";
  } catch (const TimeoutExpired& e) {
    const pid_t grandchild = std::stoi(e.out);
    EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(grandchild); }));
  }
}

TEST_F(Spawn, PlainTimeoutKillsOnlyTheChildAsPython) {
  pid_t grandchild = 0;
  try {
    run({"sh", "-c", "sleep 60 >/dev/null & echo $!; exec sleep 60"},
        {.out = PIPE, .timeout = 300ms});
    FAIL() << "no timeout";
  } catch (const TimeoutExpired& e) {
    grandchild = std::stoi(e.out);
  }
  EXPECT_FALSE(concur::test::process_gone(grandchild));
  ::kill(grandchild, SIGKILL);
  EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(grandchild); }));
}

TEST_F(Spawn, ChildStartsWithDefaultSignalsAndEmptyMask) {
  // Block SIGTERM in this thread and install a handler for SIGUSR1: neither reaches the child.
  struct sigaction sa {};
  struct sigaction old {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  sigset_t term, old_mask;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old_mask);
  auto out = run({"cat", "/proc/self/status"}, {.capture_output = true}).out;
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR1, &old, nullptr);
  EXPECT_NE(out.find("SigBlk:\t0000000000000000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("SigCgt:\t0000000000000000\n"), std::string::npos) << out;
}

// SigIgn's mask from a child's /proc/self/status ("SigIgn:\t<16 hex digits>").
std::uint64_t ignored_mask(const std::string& status) {
  const auto at = status.find("SigIgn:\t");
  if (at == std::string::npos) return ~std::uint64_t{0};
  return std::stoull(status.substr(at + 8, 16), nullptr, 16);
}

TEST_F(Spawn, IgnoredSignalsStayIgnoredUnlessResetIgnoredSignals) {
  // As Python's Popen: SIG_IGN is inherited (what `nohup` and a shell's `cmd &` rely on)...
  struct sigaction ign {};
  struct sigaction old {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR2, &ign, &old), 0);
  const auto kept = run({"cat", "/proc/self/status"}, {.capture_output = true}).out;
  // ...and reset_ignored_signals gives the child every default, as ctest gives its tests.
  const auto reset =
      run({"cat", "/proc/self/status"}, {.capture_output = true, .reset_ignored_signals = true})
          .out;
  ::sigaction(SIGUSR2, &old, nullptr);
  const std::uint64_t usr2 = std::uint64_t{1} << (SIGUSR2 - 1);
  EXPECT_EQ(ignored_mask(kept) & usr2, usr2) << kept;
  EXPECT_EQ(ignored_mask(reset), 0u) << reset;
}

TEST_F(Spawn, SigpipeIsDefaultInChild) {
  // `yes` must die of SIGPIPE when `head` stops reading, even though the parent never sets it.
  auto r = run({"sh", "-c", "yes | head -n 1; exit 0"}, {.capture_output = true, .timeout = 30s});
  EXPECT_EQ(r.out, "y\n");
}

TEST_F(Spawn, EightThreadsSpawningAtOnce) {
  constexpr int threads = 8, each = 5;
  std::latch go(threads);
  std::vector<std::thread> pool;
  std::atomic<int> ok{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      go.arrive_and_wait();
      for (int i = 0; i < each; ++i) {
        const std::string word = std::to_string(t) + ":" + std::to_string(i);
        auto r = run({helper("subprocess_fds")}, {.capture_output = true});
        auto e = run({"echo", word}, {.capture_output = true});
        if (r.out == "0 1 2\n" && e.out == word + "\n") ++ok;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(ok.load(), threads * each);
}

TEST_F(Spawn, ThreadsSpawningWithCloseFdsOffLeakNoPipes) {
  // Every fd is O_CLOEXEC from birth, so even without close_fds no child sees another's pipes.
  constexpr int threads = 4;
  // What the test process itself inherited without close-on-exec is the baseline.
  const auto baseline =
      run({helper("subprocess_fds")}, {.capture_output = true, .close_fds = false}).out;
  std::latch go(threads);
  std::atomic<int> clean{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      go.arrive_and_wait();
      for (int i = 0; i < 10; ++i) {
        auto r = run({helper("subprocess_fds")}, {.capture_output = true, .close_fds = false});
        if (r.out == baseline) ++clean;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(clean.load(), threads * 10);
}

TEST_F(Spawn, ParentSignalDispositionsUntouched) {
  struct sigaction before_pipe {
  }, before_chld{}, after_pipe{}, after_chld{};
  ::sigaction(SIGPIPE, nullptr, &before_pipe);
  ::sigaction(SIGCHLD, nullptr, &before_chld);
  run({"true"}, {.input = std::string(1 << 20, 'x')});
  ::sigaction(SIGPIPE, nullptr, &after_pipe);
  ::sigaction(SIGCHLD, nullptr, &after_chld);
  EXPECT_EQ(before_pipe.sa_handler, after_pipe.sa_handler);
  EXPECT_EQ(before_chld.sa_handler, after_chld.sa_handler);
  EXPECT_EQ(after_pipe.sa_handler, SIG_DFL);  // and yet we are alive
}

TEST_F(Spawn, PlainTimeoutReturnsEvenIfGrandchildHoldsThePipe) {
  const auto start = std::chrono::steady_clock::now();
  pid_t grandchild = 0;
  try {
    run({"sh", "-c", "sleep 60 & echo $!; exec sleep 60"}, {.out = PIPE, .timeout = 200ms});
    FAIL() << "no timeout";
  } catch (const TimeoutExpired& e) {
    grandchild = std::stoi(e.out);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  ::kill(grandchild, SIGKILL);
  EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(grandchild); }));
}

TEST_F(Spawn, JoinedWordsMeanTheSameToTheRealShell) {
  // shlex::join must quote so that /bin/sh sees exactly our words (property over random words).
  std::mt19937 rng(7);
  const std::string alphabet = "ab '\"\\$`#*?;&|<>(){}~!\t\n=-";
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> words(1 + rng() % 4);
    for (auto& w : words)
      for (std::size_t i = 0, n = rng() % 6; i < n; ++i) w += alphabet[rng() % alphabet.size()];
    std::string expected;
    for (const auto& w : words) expected += w + '\0';
    auto r = run({"printf '%s\\0' " + concur::shlex::join(words)}, {.out = PIPE, .shell = true});
    ASSERT_EQ(r.out, expected) << concur::shlex::join(words);
  }
}
