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
  auto p = start_wrapped(shell_spec("sleep 1001.25 & sleep 1002.25; echo never"), 5.0);
  ASSERT_TRUE(eventually([] { return count_processes("sleep 100[12].25", "root") >= 2; }));
  p.in().write("T\n");
  EXPECT_EQ(read_out(p), "");
  EXPECT_EQ(p.wait(), 128 + SIGTERM);
  EXPECT_TRUE(eventually([] { return count_processes("sleep 100[12].25", "root") == 0; }));
}

TEST(RemoteWrapper, KillLineEndsAJobThatIgnoresTerm) {
  auto p = start_wrapped(shell_spec("trap '' TERM; sleep 1003.25 & sleep 1004.25"), 30.0);
  ASSERT_TRUE(eventually([] { return count_processes("sleep 100[34].25", "root") >= 2; }));
  p.in().write("K\n");
  read_out(p);
  EXPECT_EQ(p.wait(), 128 + SIGKILL);
  EXPECT_TRUE(eventually([] { return count_processes("sleep 100[34].25", "root") == 0; }));
}

TEST(RemoteWrapper, EndOfInputTermsThenKillsAfterTheGrace) {
  // A dropped connection closes the wrapper's stdin: TERM (ignored here), KILL after 0.2 s.
  auto p = start_wrapped(shell_spec("trap '' TERM; sleep 1005.25 & sleep 1006.25"), 0.2);
  ASSERT_TRUE(eventually([] { return count_processes("sleep 100[56].25", "root") >= 2; }));
  p.in().close();
  p.communicate();
  EXPECT_EQ(p.wait(), 128 + SIGKILL);
  EXPECT_TRUE(eventually([] { return count_processes("sleep 100[56].25", "root") == 0; }));
}

TEST(RemoteWrapper, LeftoversAreKilledWhenTheMainProcessExits) {
  auto p = start_wrapped(shell_spec("sleep 1007.25 >/dev/null 2>&1 & echo main done"), 5.0);
  EXPECT_EQ(read_out(p), "main done\n");
  EXPECT_EQ(p.wait(), 0);
  EXPECT_TRUE(eventually([] { return count_processes("sleep 1007.25", "root") == 0; }));
}

}  // namespace
