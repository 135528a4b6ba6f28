// `concur run` on other machines, end to end: the lecture's build-directory scenario over two
// ssh "hosts" (two logins to the loopback sshd, 1 and 2 slots), a timeout that must kill a
// remote grandchild, and a Slurm run with a failing and a timing-out job. Nothing survives.
#include <fstream>

#include "remote_support.hpp"

namespace {

using namespace concur::test::remote;
using concur::test::eventually;
namespace fs = std::filesystem;

struct Cli {
  int status;
  std::string out, err;
};
Cli concur_run(std::vector<std::string> args) {
  args.insert(args.begin(), {CONCUR_CLI_PATH, "run", "--no-progress"});
  auto r = sp::run(args, {.in = sp::DEVNULL, .capture_output = true, .timeout = 120s});
  return {r.returncode, r.out, r.err};
}

struct Dir {
  fs::path path;
  Dir() {
    std::string t = "/tmp/concur-remote-XXXXXX";
    path = ::mkdtemp(t.data());
    fs::permissions(path, fs::perms::all);  // the remote user reads it (a shared file system)
  }
  ~Dir() { fs::remove_all(path); }
};

std::string ssh_cmd() { return "ssh -F " + ssh_config(); }

TEST(RemoteCli, BuildDirectoryTestsOverTwoHostsWithTheirSlots) {
  CONCUR_REQUIRE_SSH();
  Dir d;
  std::vector<std::string> args{"-S",           "1/concurtest@127.0.0.1,2/concurtest@localhost",
                                "--ssh",        ssh_cmd(),
                                "--joblog",     (d.path / "joblog").string(),
                                "--cwd",        "{}",
                                "--",           "sh",
                                "run_tests.sh", ":::"};
  for (int i = 1; i <= 6; ++i) {
    const fs::path b = d.path / ("build" + std::to_string(i));
    fs::create_directory(b);
    fs::permissions(b, fs::perms::all);
    std::ofstream(b / "run_tests.sh") << "echo \"tests of $(basename \"$PWD\") as $(id -un)\"\n"
                                      << (i == 4 ? "exit 1\n" : "exit 0\n");
    args.push_back(b.string());
  }
  const auto r = concur_run(args);
  EXPECT_EQ(r.status, 1) << r.err;  // build4 fails
  for (int i = 1; i <= 6; ++i)
    EXPECT_NE(r.out.find("tests of build" + std::to_string(i) + " as concurtest"),
              std::string::npos)
        << r.out;
  std::ifstream log(d.path / "joblog");
  std::string line, all;
  int rows = 0;
  std::getline(log, line);  // header
  while (std::getline(log, line)) {
    ++rows;
    all += line + "\n";
  }
  EXPECT_EQ(rows, 6);
  EXPECT_NE(all.find("\t127.0.0.1\t"), std::string::npos) << all;
  EXPECT_NE(all.find("\tlocalhost\t"), std::string::npos) << all;
}

TEST(RemoteCli, TimeoutKillsTheRemoteGrandchild) {
  CONCUR_REQUIRE_SSH();
  const auto r =
      concur_run({"-S", kLogin, "--ssh", ssh_cmd(), "--timeout", "1", "--kill-after", "1", "--",
                  "sh", "-c", "sh -c 'sleep 1031.5' & sleep 1032.5", ":::", "x"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(eventually([] { return count_processes("sleep 103[12].5") == 0; }));
}

TEST(RemoteCli, BadLoginIsAUsageError) {
  const auto r = concur_run({"-S", "0/host", "--", "true", ":::", "x"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("0/host"), std::string::npos) << r.err;
}

TEST(RemoteCli, SlurmRunWithAFailingAndATimingOutJob) {
  CONCUR_REQUIRE_SLURM();
  Dir d;
  const auto r = concur_run({"--slurm", "--timeout", "2", "--kill-after", "1", "--joblog",
                             (d.path / "joblog").string(), "--", "sh", "-c",
                             "case {} in ok) echo fine;; fail) exit 3;; slow) sleep 1041.5;; esac",
                             ":::", "ok", "fail", "slow"});
  EXPECT_EQ(r.status, 2) << r.err;  // fail and slow
  EXPECT_NE(r.out.find("fine"), std::string::npos) << r.out;
  EXPECT_TRUE(eventually([] { return count_processes("sleep 1041.5", "root") == 0; }, 15000ms));
}

}  // namespace
