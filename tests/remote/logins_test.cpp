// GNU parallel's login syntax and slot placement across hosts.
#include <fstream>

#include "remote_launcher.hpp"
#include "remote_support.hpp"
#include "remote_wrapper.hpp"
#include "ssh_launcher.hpp"

namespace {

using namespace concur::test::remote;
using concur::test::eventually;
namespace run = concur::cli::run;

TEST(SshLogins, ParsesSlotsUsersHostsAndLocal) {
  const auto l = run::parse_sshlogins("2/ci@build1, :,build2");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].slots, 2u);
  EXPECT_EQ(l[0].login, "ci@build1");
  EXPECT_EQ(l[0].host(), "build1");
  EXPECT_TRUE(l[1].local());
  EXPECT_EQ(l[1].host(), ":");
  EXPECT_EQ(l[2].slots, 0u);  // ask the host
  EXPECT_EQ(l[2].host(), "build2");
}

TEST(SshLogins, RejectsBadLoginsNamingThem) {
  for (const char* bad : {"0/host", "x/host", "2/", "-oProxyCommand=evil", "host; rm -rf /", ""}) {
    try {
      run::parse_sshlogins(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const std::invalid_argument& e) {
      if (*bad) {
        EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
      }
    }
  }
}

TEST(SshLogins, FileSkipsCommentsAndBlankLines) {
  concur::test::LeakGuard guard;
  const std::string path = "/tmp/concur-logins-" + std::to_string(::getpid());
  std::ofstream(path) << "# the farm\n\n4/a@h1   # fast\n:\nh2,3/h3\n";
  const auto l = run::read_sshloginfile(path);
  std::filesystem::remove(path);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].slots, 4u);
  EXPECT_TRUE(l[1].local());
  EXPECT_EQ(l[3].login, "h3");
  EXPECT_THROW(run::read_sshloginfile("/nonexistent/logins"), std::invalid_argument);
  guard.check();
}

TEST(RemoteLauncher, OneTargetPerLoginWithItsSlots) {
  concur::test::LeakGuard guard;
  {
    run::RemoteLauncher l(run::parse_sshlogins("3/:,:"), {"ssh"}, 1.0, std::nullopt);
    const auto t = l.targets();
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].host, ":");
    EXPECT_EQ(t[0].slots, 3);
    EXPECT_EQ(t[1].slots, 0);  // as many as -j says
    run::RemoteLauncher with_j(run::parse_sshlogins(":"), {"ssh"}, 1.0, 5);
    EXPECT_EQ(with_j.targets()[0].slots, 5);
    run::LaunchSpec spec;
    spec.argv = {"sh", "-c", "echo $X"};
    spec.env = {{"X", "local"}};
    spec.target = 1;
    auto job = l.start(spec);
    EXPECT_EQ(job->host(), ":");
    const auto f = finish(*job);
    EXPECT_EQ(f.out, "local\n");
    EXPECT_EQ(f.status, 0);
    spec.target = 7;
    EXPECT_THROW(l.start(spec), run::LaunchError);
  }
  guard.check();
}

}  // namespace
