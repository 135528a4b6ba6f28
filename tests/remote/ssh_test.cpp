// The ssh launcher against the loopback sshd of scripts/ci-services (user concurtest, shell
// /bin/sh): output and status come back, a timeout kills the remote grandchild, a killed ssh
// fails the job with 255 and leaves nothing behind on the remote side.
#include "remote_support.hpp"
#include "remote_wrapper.hpp"
#include "ssh_launcher.hpp"

namespace {

using namespace concur::test::remote;
using concur::test::eventually;
namespace run = concur::cli::run;

std::vector<std::string> test_ssh() { return {"ssh", "-F", ssh_config()}; }

TEST(SshLauncher, AsksTheHostsCpuCountOnce) {
  CONCUR_REQUIRE_SSH();
  run::SshLauncher l(run::parse_sshlogins(kLogin)[0], test_ssh(), 1.0);
  EXPECT_GE(l.slots(), 1u);
  run::SshLauncher given(run::parse_sshlogins(std::string("5/") + kLogin)[0], test_ssh(), 1.0);
  EXPECT_EQ(given.slots(), 5u);
}

TEST(SshLauncher, RunsTheJobRemotelyWithItsEnvironmentAndStatus) {
  CONCUR_REQUIRE_SSH();
  concur::test::LeakGuard guard;
  {
    run::SshLauncher l(run::parse_sshlogins(kLogin)[0], test_ssh(), 1.0);
    auto spec = shell_spec("echo \"$(id -un) $CONCUR_JOB\"; echo oops >&2; exit 3");
    spec.env["CONCUR_JOB"] = "7";
    spec.cwd = "/tmp";
    auto job = l.start(spec);
    EXPECT_EQ(job->host(), "127.0.0.1");
    const auto f = finish(*job);
    EXPECT_EQ(f.out, "concurtest 7\n");
    EXPECT_EQ(f.err, "oops\n");
    EXPECT_EQ(f.status, 3);
  }
  guard.check();
}

TEST(SshLauncher, TimeoutKillsTheRemoteGrandchild) {
  CONCUR_REQUIRE_SSH();
  run::SshLauncher l(run::parse_sshlogins(kLogin)[0], test_ssh(), 5.0);
  auto job = l.start(shell_spec("sh -c 'sleep 1011.5' & sleep 1012.5"));
  ASSERT_TRUE(eventually([] { return count_processes("sleep 101[12].5") >= 2; }));
  job->terminate();  // what the scheduler does at the timeout
  const auto f = finish(*job);
  EXPECT_EQ(f.status, 128 + SIGTERM);
  EXPECT_TRUE(eventually([] { return count_processes("sleep 101[12].5") == 0; }));
}

TEST(SshLauncher, KillEndsAJobThatIgnoresTerm) {
  CONCUR_REQUIRE_SSH();
  run::SshLauncher l(run::parse_sshlogins(kLogin)[0], test_ssh(), 0.5);
  auto job = l.start(shell_spec("trap '' TERM; sleep 1013.5 & sleep 1014.5"));
  ASSERT_TRUE(eventually([] { return count_processes("sleep 101[34].5") >= 2; }));
  job->terminate();
  job->kill();  // after --kill-after
  finish(*job);
  EXPECT_TRUE(eventually([] { return count_processes("sleep 101[34].5") == 0; }));
}

TEST(SshLauncher, KilledSshFailsTheJobWith255AndNothingSurvivesRemotely) {
  CONCUR_REQUIRE_SSH();
  run::SshLauncher l(run::parse_sshlogins(kLogin)[0], test_ssh(), 0.3);
  auto job = l.start(shell_spec("trap '' TERM; sleep 1015.5 & sleep 1016.5"));
  ASSERT_TRUE(eventually([] { return count_processes("sleep 101[56].5") >= 2; }));
  ::kill(job->pid(), SIGKILL);  // the connection drops under the job
  EXPECT_EQ(finish(*job).status, 255);
  EXPECT_TRUE(eventually([] { return count_processes("sleep 101[56].5") == 0; }));
}

TEST(SshLauncher, UnreachableHostIsAClearError) {
  CONCUR_REQUIRE_SSH();
  try {
    run::SshLauncher l(run::parse_sshlogins("concurtest@127.0.0.1")[0],
                       {"ssh", "-F", ssh_config(), "-p", "1", "-o", "ConnectTimeout=5"}, 1.0);
    FAIL() << "connected to port 1";
  } catch (const run::LaunchError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect"), std::string::npos) << e.what();
  }
}

}  // namespace
