// The remote wrapper, run here under sh exactly as a remote login shell runs it: cwd and the
// extra environment arrive, the exit status comes back, and "T", "K" and end of input kill the
// job's whole tree.
#include "remote_wrapper.hpp"

#include "remote_support.hpp"

namespace {

using namespace concur::test::remote;
using concur::test::eventually;
namespace run = concur::cli::run;

// Reads the wrapper's stdout to EOF with its stdin still open (as ssh keeps it: closing it is
// how a dropped connection looks).
std::string read_out(sp::Popen& p) {
  std::string out;
  for (std::string chunk; !(chunk = p.out().read()).empty();) out += chunk;
  return out;
}

sp::Popen start_wrapped(const run::LaunchSpec& spec, double grace) {
  const std::string cmd = run::remote_command(spec, grace);
  return sp::Popen({"/bin/sh", "-c", cmd}, {.in = sp::PIPE, .out = sp::PIPE, .err = sp::PIPE});
}

// `sleep 100N.<our pid>`: a fraction unique to this test process, so the same suite running
// beside this one (another build tree) never counts our sleeps, nor we theirs.
std::string sleeper(int n) {
  return "sleep " + std::to_string(n) + "." + std::to_string(::getpid());
}

// pgrep's pattern for the sleepers `ns` (a regex class such as "[12]") of this process.
std::string sleepers(const std::string& ns) {
  return "sleep 100" + ns + "\\." + std::to_string(::getpid()) + "$";
}

run::LaunchSpec shell_spec(std::string line) {
  run::LaunchSpec s;
  s.argv = {std::move(line)};
  s.shell = true;
  return s;
}

TEST(RemoteWrapper, CarriesCwdExtraEnvironmentAndExitStatus) {
  concur::test::LeakGuard guard;
  auto spec = shell_spec("echo \"$CONCUR_JOB:$ODD\"; pwd; exit 7");
  spec.env["CONCUR_JOB"] = "42";
  spec.env["ODD"] = "it's \"quoted\" $HOME";
  spec.cwd = "/tmp";
  {
    auto p = start_wrapped(spec, 1.0);
    EXPECT_EQ(read_out(p), "42:it's \"quoted\" $HOME\n/tmp\n");
    EXPECT_EQ(p.wait(), 7);
  }
  guard.check();
}

TEST(RemoteWrapper, OnlyTheExtrasTravelNotTheWholeEnvironment) {
  auto spec = shell_spec("true");
  spec.env["CONCUR_SLOT"] = "3";
  const std::string cmd = run::remote_command(spec, 1.0);
  EXPECT_NE(cmd.find("CONCUR_SLOT"), std::string::npos);
  const char* path = std::getenv("PATH");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(cmd.find(std::string("PATH=") + path), std::string::npos);
}

TEST(RemoteWrapper, ArgvWordsStayWordsWhateverTheyContain) {
  run::LaunchSpec spec;
  spec.argv = {"printf", "%s|", "a b", "it's", "$(rm -rf /)", "\\n", ""};
  auto p = start_wrapped(spec, 1.0);
  EXPECT_EQ(read_out(p), "a b|it's|$(rm -rf /)|\\n||");
  EXPECT_EQ(p.wait(), 0);
}

TEST(RemoteWrapper, MissingDirectoryFailsWith255) {
  auto spec = shell_spec("true");
  spec.cwd = "/nonexistent/dir";
  auto p = start_wrapped(spec, 1.0);
  read_out(p);
  EXPECT_EQ(p.wait(), 255);
}

TEST(RemoteWrapper, TermLineKillsTheWholeTree) {
  auto p = start_wrapped(shell_spec(sleeper(1001) + " & " + sleeper(1002) + "; echo never"), 5.0);
  ASSERT_TRUE(eventually([] { return count_processes(sleepers("[12]"), "root") >= 2; }));
  p.in().write("T\n");
  EXPECT_EQ(read_out(p), "");
  EXPECT_EQ(p.wait(), 128 + SIGTERM);
  EXPECT_TRUE(eventually([] { return count_processes(sleepers("[12]"), "root") == 0; }));
}

TEST(RemoteWrapper, KillLineEndsAJobThatIgnoresTerm) {
  auto p =
      start_wrapped(shell_spec("trap '' TERM; " + sleeper(1003) + " & " + sleeper(1004)), 30.0);
  ASSERT_TRUE(eventually([] { return count_processes(sleepers("[34]"), "root") >= 2; }));
  p.in().write("K\n");
  read_out(p);
  EXPECT_EQ(p.wait(), 128 + SIGKILL);
  EXPECT_TRUE(eventually([] { return count_processes(sleepers("[34]"), "root") == 0; }));
}

TEST(RemoteWrapper, EndOfInputTermsThenKillsAfterTheGrace) {
  // A dropped connection closes the wrapper's stdin: TERM (ignored here), KILL after 0.2 s.
  auto p = start_wrapped(shell_spec("trap '' TERM; " + sleeper(1005) + " & " + sleeper(1006)), 0.2);
  ASSERT_TRUE(eventually([] { return count_processes(sleepers("[56]"), "root") >= 2; }));
  p.in().close();
  p.communicate();
  EXPECT_EQ(p.wait(), 128 + SIGKILL);
  EXPECT_TRUE(eventually([] { return count_processes(sleepers("[56]"), "root") == 0; }));
}

TEST(RemoteWrapper, LeftoversAreKilledWhenTheMainProcessExits) {
  auto p = start_wrapped(shell_spec(sleeper(1007) + " >/dev/null 2>&1 & echo main done"), 5.0);
  EXPECT_EQ(read_out(p), "main done\n");
  EXPECT_EQ(p.wait(), 0);
  EXPECT_TRUE(eventually([] { return count_processes(sleepers("7"), "root") == 0; }));
}

}  // namespace
