// GNU parallel's login syntax and slot placement across hosts.
#include <fstream>

#include "multi_launcher.hpp"
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

TEST(MultiLauncher, FillsEveryHostsSlotsAndFreesThemOnReap) {
  concur::test::LeakGuard guard;
  {
    run::MultiLauncher all;
    all.add(std::make_unique<run::PopenLauncher>(), 1);
    all.add(std::make_unique<run::PopenLauncher>(), 2);
    EXPECT_EQ(all.total_slots(), 3u);
    run::LaunchSpec spec;
    spec.argv = {"true"};
    spec.env = run::current_environment();
    std::vector<std::unique_ptr<run::RunningJob>> jobs;
    for (int i = 0; i < 3; ++i) jobs.push_back(all.start(spec));
    EXPECT_THROW(all.start(spec), run::LaunchError);
    EXPECT_EQ(finish(*jobs[0]).status, 0);  // reaped: its slot is free again
    jobs.push_back(all.start(spec));
    for (auto& j : jobs) finish(*j);
  }
  guard.check();
}

}  // namespace
