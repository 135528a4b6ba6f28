// concur run end to end: usage errors, inputs, placeholders, exit statuses.
#include <set>

#include "cli_support.hpp"

namespace {

using namespace concur::test::run;

TEST(RunCli, HelpDescribesOptionsAndExits0) {
  const auto r = concur_run({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--timeout DURATION"), std::string::npos);
  EXPECT_NE(r.out.find("--junit"), std::string::npos);
}

TEST(RunCli, BadUsageIsOneLineAndExit2BeforeAnyJobStarts) {
  TempDir dir;
  const std::string marker = dir / "marker";
  const std::vector<std::vector<std::string>> cases = {
      {"--bogus", "touch", marker},
      {"--timeout", "1.5 weeks", "touch", marker},
      {"--jobs-file", dir / "missing.txt"},
      {},
      {"--halt", "sometimes", "touch", marker},
      {"touch", marker, "{nope}", ":::", "x"},
      {"-j", "many", "touch", marker},
  };
  const std::vector<std::string> names = {"--bogus", "--timeout", "missing.txt", "no command",
                                          "--halt",  "{nope}",    "--jobs"};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto r = concur_run(cases[i], std::string("x\n"));
    EXPECT_EQ(r.status, 2) << names[i];
    EXPECT_EQ(count_of(r.err, "\n"), 1) << r.err;
    EXPECT_NE(r.err.find(names[i]), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(marker)) << names[i];
  }
}

TEST(RunCli, OneJobPerValueWithPlaceholders) {
  const auto r = concur_run({"-j", "1", "echo", "{/.}", "{//}", "{#}", ":::", "a/b.c", "d/e.f"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "b a 1\ne d 2\n");
}

TEST(RunCli, SeveralGroupsGiveTheCartesianProduct) {
  const auto r = concur_run({"-j", "1", "echo", "{2}-{1}", ":::", "a", "b", ":::", "1", "2"});
  EXPECT_EQ(r.out, "1-a\n2-a\n1-b\n2-b\n");
}

TEST(RunCli, ReadsValuesFromStdinLines) {
  const auto r = concur_run({"-j", "1", "--", "echo", "got"}, std::string("x\ny z\n\n"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "got x\ngot y z\n");
}

TEST(RunCli, JobsFileRunsOneShellCommandPerLine) {
  TempDir dir;
  write_text(dir / "jobs.txt", "# comment\necho one | tr o O\n\n  # indented comment\nexit 3\n");
  const auto r = concur_run({"-j", "1", "--jobs-file", dir / "jobs.txt"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "One\n");
  EXPECT_NE(r.err.find("FAILED #2 exit 3: exit status 3"), std::string::npos) << r.err;
}

TEST(RunCli, ShellQuotesSubstitutedValues) {
  TempDir dir;
  const std::string evil = "a; touch " + (dir / "pwned") + " #";
  const auto r =
      concur_run({"--shell", "-j", "1", "--", "printf", "'%s\\n'", "{}", ":::", evil, "it's"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, evil + "\nit's\n");
  EXPECT_FALSE(fs::exists(dir / "pwned"));
  // Without --shell the value is one argv word anyway: no shell ever sees it.
  const auto plain = concur_run({"printf", "%s\\n", ":::", evil});
  EXPECT_EQ(plain.out, evil + "\n");
  EXPECT_FALSE(fs::exists(dir / "pwned"));
}

TEST(RunCli, ExitStatusCountsFailures) {
  EXPECT_EQ(concur_run({"sh", "-c", "exit $0", ":::", "0", "0"}).status, 0);
  EXPECT_EQ(concur_run({"sh", "-c", "exit $0", ":::", "0", "1", "7"}).status, 2);
  std::vector<std::string> many = {"-q", "-j", "0", "false", ":::"};
  for (int i = 0; i < 101; ++i) many.push_back(std::to_string(i));
  EXPECT_EQ(concur_run(many).status, 101);
}

TEST(RunCli, OtherErrorsExit255) {
  const auto r = concur_run({"--json", "/nonexistent/dir/r.json", "true", ":::", "1"});
  EXPECT_EQ(r.status, 255);
  EXPECT_NE(r.err.find("--json"), std::string::npos);
}

TEST(RunCli, MissingProgramIsAFailedJobNotACrash) {
  const auto r = concur_run({"/nonexistent/program", ":::", "1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("could not start"), std::string::npos) << r.err;
}

TEST(RunCli, DryRunPrintsCommandsAndRunsNothing) {
  TempDir dir;
  const auto r =
      concur_run({"--dry-run", "--cwd", "{}", "touch", "x y", ":::", dir.path().string()});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("touch 'x y'"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "x y"));
}

TEST(RunCli, CwdWithPlaceholderAndEnvironment) {
  TempDir dir;
  fs::create_directory(dir / "b1");
  const auto r =
      concur_run({"--cwd", "{}", "--env", "GREETING=hi {/}", "--", "sh", "-c",
                  "echo $(basename $PWD) $GREETING $CONCUR_JOB $CONCUR_SLOT", ":::", dir / "b1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "b1 hi b1 1 1\n");
}

TEST(RunCli, JobsLimitsParallelSlotsAndZeroMeansOnePerJob) {
  const auto slots = [](const std::string& j) {
    const auto r =
        concur_run({"-j", j, "--", "sh", "-c", "echo $CONCUR_SLOT", ":::", "1", "2", "3", "4"});
    std::set<std::string> s;
    for (const auto& l : lines_of(r.out)) s.insert(l);
    return s;
  };
  EXPECT_EQ(slots("1"), (std::set<std::string>{"1"}));
  EXPECT_EQ(slots("0"), (std::set<std::string>{"1", "2", "3", "4"}));
  for (const auto& s : slots("2")) EXPECT_TRUE(s == "1" || s == "2") << s;
}

TEST(RunCli, RetriesRerunAFailedJob) {
  TempDir dir;
  const std::string flaky =
      "if [ -e " + (dir / "seen") + " ]; then exit 0; fi; touch " + (dir / "seen") + "; exit 1";
  EXPECT_EQ(concur_run({"sh", "-c", flaky, ":::", "1"}).status, 1);
  fs::remove(dir / "seen");
  const auto r =
      concur_run({"--retries", "1", "--json", dir / "r.json", "sh", "-c", flaky, ":::", "1"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(read_text(dir / "r.json").find("\"attempts\": 2"), std::string::npos);
}

TEST(RunCli, HaltSoonStopsStartingJobs) {
  const auto r =
      concur_run({"-j", "1", "--halt", "soon,fail=1", "sh", "-c", "exit $0", ":::", "1", "0", "0"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("0 passed, 1 failed, 0 timed out, 2 skipped"), std::string::npos) << r.err;
}

TEST(RunCli, HaltNowKillsRunningJobs) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = concur_run({"-j", "2", "--halt", "now,fail=1", "sh", "-c",
                             "[ $0 = 1 ] && exit 1; exec sleep 30", ":::", "1", "2"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("1 interrupted"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RunCli, HaltOnPercentageOfFailures) {
  const auto r = concur_run({"-j", "1", "--halt", "fail=30%", "sh", "-c", "exit $0", ":::", "1",
                             "0", "1", "0", "0", "0"});
  EXPECT_EQ(r.status, 2);  // 2 of 6 jobs failed: 33% >= 30%, the last 3 never start
  EXPECT_NE(r.err.find("3 skipped"), std::string::npos) << r.err;
}

TEST(RunCli, TimeoutKillsTheJobsGroupAndCountsAsFailure) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = concur_run({"--timeout", "200ms", "--kill-after", "100ms", "sh", "-c",
                             "trap '' TERM; sleep 30 & wait; exit 0", ":::", "1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("1 timed out"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("TIMED OUT #1"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
