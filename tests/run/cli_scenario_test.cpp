// The lecture's "testing system": a folder of build directories whose test scripts
// pass, fail, hang or leak a background process, run with --cwd {} --timeout.
#include <support/leak_check.hpp>

#include "cli_support.hpp"

namespace {

using namespace concur::test::run;

pid_t read_pid(const fs::path& p) {
  const std::string s = read_text(p);
  return s.empty() ? 0 : static_cast<pid_t>(std::stol(s));
}

TEST(RunScenario, BuildDirectoriesPassFailHangAndLeak) {
  concur::test::LeakGuard guard;
  TempDir dir;
  const std::map<std::string, std::string> scripts = {
      {"pass", "echo all 12 tests passed\n"},
      {"fail", "echo running; echo 'test_parser.cpp:42: expected 3, got 4' >&2; exit 1\n"},
      {"hang", "echo $$ > pid; exec sleep 30\n"},
      {"leak", "sleep 300 & echo $! > bg.pid; echo leaked a server\n"},
  };
  std::vector<std::string> args = {"-j",
                                   "4",
                                   "--cwd",
                                   "{}",
                                   "--timeout",
                                   "300ms",
                                   "--kill-after",
                                   "200ms",
                                   "--joblog",
                                   dir / "joblog",
                                   "--junit",
                                   dir / "junit.xml",
                                   "--allow-leaks",
                                   "--",
                                   "sh",
                                   "./test.sh",
                                   ":::"};
  for (const auto& [name, body] : scripts) {
    fs::create_directory(dir.path() / name);
    write_text(dir.path() / name / "test.sh", body, true);
    args.push_back((dir.path() / name).string());
  }
  const auto r = concur_run(args);
  EXPECT_EQ(r.status, 2) << r.err;  // one failure, one timeout
  EXPECT_NE(r.err.find("4 jobs: 2 passed, 1 failed, 1 timed out, 0 skipped (1 leaky)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("LEAKY #3 sh ./test.sh " + (dir / "leak") + ": left 1 process behind"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("sleep 300"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected 3, got 4"), std::string::npos);  // the failure's last stderr
  EXPECT_NE(r.err.find("(in " + (dir / "fail") + "): exit status 1"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("all 12 tests passed"), std::string::npos);

  const auto log = lines_of(read_text(dir / "joblog"));
  EXPECT_EQ(log.size(), 5u);
  const std::string junit = read_text(dir / "junit.xml");
  EXPECT_EQ(count_of(junit, "<testcase "), 4);
  EXPECT_EQ(count_of(junit, "<failure type=\"timeout\""), 1);
  EXPECT_EQ(count_of(junit, "<failure type=\"failure\""), 1);
  EXPECT_NE(junit.find("failures=\"2\""), std::string::npos);

  // No process of any job survives: not the hung test, not the leaked server.
  const pid_t hung = read_pid(dir.path() / "hang" / "pid");
  const pid_t leaked = read_pid(dir.path() / "leak" / "bg.pid");
  ASSERT_GT(hung, 0);
  ASSERT_GT(leaked, 0);
  EXPECT_TRUE(concur::test::process_gone(hung));
  EXPECT_TRUE(concur::test::process_gone(leaked));
  guard.check();
}

TEST(RunScenario, GrandchildHoldingTheOutputPipeDoesNotHangTheRunner) {
  TempDir dir;
  // The grandchild leaves the job's process group (setsid), clears its environment (so
  // nothing ties it to its job) and keeps stdout open.
  const auto start = std::chrono::steady_clock::now();
  const auto r = concur_run({"--json", dir / "r.json", "--", "sh", "-c",
                             "env -i /usr/bin/setsid /bin/sh -c 'echo $$ > " + (dir / "gc") +
                                 "; exec /bin/sleep 30' & while [ ! -s " + (dir / "gc") +
                                 " ]; do :; done; echo done",
                             ":::", "1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_NE(read_text(dir / "r.json").find("\"output_held_open\": true"), std::string::npos);
  const pid_t gc = read_pid(dir / "gc");
  ASSERT_GT(gc, 0);
  EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(gc); }));
}

}  // namespace
