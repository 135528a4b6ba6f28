// concur run as a test runner, end to end: GoogleTest discovery over two fake binaries
// (tests/helpers/fake_gtest_*), --list, --filter, flaky and leaky tests, --slow, --repeat,
// --partition, --fail-fast, --history, and what the reports say about them.
#include <support/leak_check.hpp>

#include <nlohmann/json.hpp>

#include <set>

#include "cli_support.hpp"

namespace {

using namespace concur::test::run;
using nlohmann::json;

const std::string kMath = std::string(CONCUR_HELPER_DIR) + "/fake_gtest_math";
const std::string kIo = std::string(CONCUR_HELPER_DIR) + "/fake_gtest_io";

std::vector<std::string> names_listed(const std::string& out) {
  std::vector<std::string> names;
  for (const auto& l : lines_of(out)) names.push_back(l.substr(0, l.find('\t')));
  return names;
}

// `concur run --gtest kIo` with its state in `dir`, plus `args`.
CliResult run_io(const TempDir& dir, std::vector<std::string> args) {
  std::vector<std::string> all = {"--no-history", "--env",
                                  "FAKE_GTEST_STATE=" + dir.path().string()};
  all.insert(all.end(), args.begin(), args.end());
  all.insert(all.end(), {"--gtest", kIo});
  return concur_run(all);
}

json job_named(const json& report, const std::string& name) {
  for (const auto& j : report["jobs"])
    if (j["name"] == name) return j;
  ADD_FAILURE() << "no job " << name;
  return json::object();
}

TEST(RunGtest, ListsOneJobPerCaseOfEveryBinaryWithoutDisabledOnes) {
  const auto r = concur_run({"--list", "--gtest", kMath, kIo});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(names_listed(r.out),
            (std::vector<std::string>{"Math.Adds", "Math.Fails", "Values/MathParam.Squares/0",
                                      "Values/MathParam.Squares/1", "Io.Passes", "Io.Flaky",
                                      "Io.Leaks", "Io.Slow", "Io.Alternates"}));
  EXPECT_NE(r.out.find("Math.Adds\t" + kMath + " --gtest_filter=Math.Adds\n"), std::string::npos)
      << r.out;
}

TEST(RunGtest, RunsCasesSkipsDisabledAndShowsOnlyFailuresOutput) {
  TempDir dir;
  const auto r = concur_run({"--no-history", "--json", dir / "r.json", "--gtest", kMath});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("[ RUN      ] Math.Fails"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Math.Adds"), std::string::npos) << r.out;  // passed: quiet
  EXPECT_NE(r.err.find("5 jobs: 3 passed, 1 failed, 0 timed out, 1 skipped"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("expected 2, got 3"), std::string::npos) << r.err;
  const json report = json::parse(read_text(dir / "r.json"));
  EXPECT_EQ(job_named(report, "Math.DISABLED_Overflows")["outcome"], "skipped");
  EXPECT_EQ(job_named(report, "Math.Fails")["outcome"], "failed");
  for (const auto& j : report["jobs"])
    for (const char* field :
         {"name", "command", "outcome", "flaky", "leaky", "attempts", "runtime_s"})
      EXPECT_TRUE(j.contains(field)) << field;
}

TEST(RunGtest, BinaryThatFailsToListIsAnErrorNamingIt) {
  for (const std::string& bin :
       {std::string("/bin/false"), std::string("/nonexistent/unit_tests")}) {
    const auto r = concur_run({"--gtest", bin});
    EXPECT_EQ(r.status, 2) << bin;
    EXPECT_EQ(count_of(r.err, "\n"), 1) << r.err;
    EXPECT_NE(r.err.find(bin), std::string::npos) << r.err;
  }
}

TEST(RunFilter, KeepsMatchingNamesAndDropsExcludedOnes) {
  const auto r =
      concur_run({"--list", "--filter", "Io.*", "--filter", "-*.Slow", "--gtest", kMath, kIo});
  EXPECT_EQ(names_listed(r.out),
            (std::vector<std::string>{"Io.Passes", "Io.Flaky", "Io.Leaks", "Io.Alternates"}));
  const auto only_excluded = concur_run({"--list", "--filter", "-Io.*", "--gtest", kIo});
  EXPECT_EQ(only_excluded.out, "");
}

TEST(RunFlaky, ATestThatPassesOnTheSecondTryIsFlakyAndPasses) {
  TempDir dir;
  const auto once = run_io(dir, {"--filter", "Io.Flaky"});
  EXPECT_EQ(once.status, 1) << once.err;  // no retries: the failure counts
  fs::remove(dir / "flaky.seen");
  const auto r = run_io(dir, {"--filter", "Io.Flaky", "--retries", "2", "--json", dir / "r.json",
                              "--junit", dir / "r.xml", "--html", dir / "r.html"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("1 passed, 0 failed, 0 timed out, 0 skipped (1 flaky)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("FLAKY #2 Io.Flaky"), std::string::npos) << r.err;
  const json j = job_named(json::parse(read_text(dir / "r.json")), "Io.Flaky");
  EXPECT_EQ(j["flaky"], true);
  EXPECT_EQ(j["attempts"], 2);
  EXPECT_EQ(j["outcome"], "passed");
  const std::string junit = read_text(dir / "r.xml");
  EXPECT_EQ(count_of(junit, "<flakyFailure "), 1) << junit;
  EXPECT_NE(junit.find("first attempt fails"), std::string::npos);
  EXPECT_EQ(junit.find("<failure"), std::string::npos);
  EXPECT_NE(read_text(dir / "r.html").find("\"flaky\":true"), std::string::npos);
}

TEST(RunLeaks, ATestLeavingASleepBehindIsLeakyAndTheSleepIsKilled) {
  TempDir dir;
  const auto r = run_io(dir, {"--filter", "Io.Leaks", "--leak-timeout", "50ms", "--json",
                              dir / "r.json", "--junit", dir / "r.xml"});
  EXPECT_EQ(r.status, 1) << r.err;  // leaky counts as failed
  EXPECT_NE(r.err.find("LEAKY #3 Io.Leaks"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/bin/sleep 30"), std::string::npos) << r.err;
  const json j = job_named(json::parse(read_text(dir / "r.json")), "Io.Leaks");
  EXPECT_EQ(j["leaky"], true);
  EXPECT_EQ(j["outcome"], "failed");
  ASSERT_EQ(j["leftovers"].size(), 1u);
  EXPECT_NE(j["leftovers"][0].get<std::string>().find("sleep 30"), std::string::npos);
  EXPECT_NE(read_text(dir / "r.xml").find("<failure type=\"leak\""), std::string::npos);
  const pid_t sleeper = static_cast<pid_t>(std::stol(read_text(dir / "leak.pid")));
  EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(sleeper); }));

  const auto allowed =
      run_io(dir, {"--filter", "Io.Leaks", "--allow-leaks", "--json", dir / "a.json"});
  EXPECT_EQ(allowed.status, 0) << allowed.err;
  EXPECT_NE(allowed.err.find("allowed by --allow-leaks"), std::string::npos) << allowed.err;
  const json a = job_named(json::parse(read_text(dir / "a.json")), "Io.Leaks");
  EXPECT_EQ(a["leaky"], true);
  EXPECT_EQ(a["outcome"], "passed");
}

TEST(RunLeaks, AProcessThatLeftTheGroupIsFoundThroughTheSubreaper) {
  TempDir dir;
  const auto r = concur_run({"--json", dir / "r.json", "--", "sh", "-c",
                             "setsid sleep 30 & echo $! > " + (dir / "pid"), ":::", "1"});
  EXPECT_EQ(r.status, 1) << r.err;
  const json j = json::parse(read_text(dir / "r.json"))["jobs"][0];
  EXPECT_EQ(j["leaky"], true) << j.dump();
  const pid_t sleeper = static_cast<pid_t>(std::stol(read_text(dir / "pid")));
  EXPECT_TRUE(concur::test::eventually([&] { return concur::test::process_gone(sleeper); }));
}

TEST(RunLeaks, ABackgroundProcessThatEndsWithinTheGraceIsNoLeak) {
  const auto r =
      concur_run({"--leak-timeout", "5s", "--", "sh", "-c", "(sleep 0.1) & echo ok", ":::", "1"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("LEAKY"), std::string::npos) << r.err;
}

TEST(RunSlow, AJobStillRunningAfterSlowIsReported) {
  TempDir dir;
  const auto r = run_io(dir, {"--filter", "Io.Slow", "--slow", "100ms", "--json", dir / "r.json"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("SLOW #4 Io.Slow: still running after"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("SLOW #4 Io.Slow"), r.err.rfind("SLOW #4 Io.Slow"));  // and in the summary
  EXPECT_EQ(job_named(json::parse(read_text(dir / "r.json")), "Io.Slow")["slow"], true);
}

TEST(RunRepeat, RunsEveryJobNTimesAndCountsPassesPerJob) {
  TempDir dir;
  const auto r = run_io(
      dir, {"-j", "1", "--repeat", "3", "--filter", "Io.Alternates", "--filter", "Io.Passes"});
  EXPECT_EQ(r.status, 2) << r.err;  // Alternates: fail, pass, fail
  EXPECT_NE(r.err.find("6 jobs: 4 passed, 2 failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  1/3  Io.Alternates\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 job passed every run"), std::string::npos) << r.err;
}

TEST(RunPartition, BucketsAreDisjointAndTheirUnionIsTheWholeSuite) {
  const auto all = names_listed(concur_run({"--list", "--gtest", kMath, kIo}).out);
  for (const char* kind_name : {"slice", "hash"}) {
    const std::string kind = kind_name;
    std::multiset<std::string> seen;
    for (int m = 1; m <= 3; ++m) {
      const auto r = concur_run(
          {"--list", "--partition", kind + ":" + std::to_string(m) + "/3", "--gtest", kMath, kIo});
      ASSERT_EQ(r.status, 0) << r.err;
      for (const auto& n : names_listed(r.out)) seen.insert(n);
    }
    EXPECT_EQ(seen, std::multiset<std::string>(all.begin(), all.end())) << kind;
  }
}

TEST(RunPartition, HashBucketsKeepTheirJobsWhenJobsAreAdded) {
  std::vector<std::string> few = {"--list", "--partition", "hash:2/3", "echo", ":::"};
  for (int i = 0; i < 30; ++i) few.push_back(std::to_string(i));
  std::vector<std::string> more = few;
  for (int i = 30; i < 40; ++i) more.push_back(std::to_string(i));
  const auto before = names_listed(concur_run(few).out);
  const auto after = names_listed(concur_run(more).out);
  ASSERT_FALSE(before.empty());
  for (const auto& n : before)
    EXPECT_NE(std::find(after.begin(), after.end(), n), after.end()) << n;
}

TEST(RunFailFast, TheFirstFailureStopsTheRun) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = concur_run({"-j", "2", "--fail-fast", "sh", "-c",
                             "[ $0 = 1 ] && exit 1; exec sleep 30", ":::", "1", "2", "3"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("1 interrupted"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 skipped"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RunHistory, SecondRunStartsTheLongestJobsFirst) {
  TempDir dir;
  const std::vector<std::string> args = {"-j",  "1",  "--history", dir / "h.json",
                                         "--",  "sh", "-c",        "sleep $0; echo $0",
                                         ":::", "0",  "0.25",      "0.1"};
  const auto first = concur_run(args);
  EXPECT_EQ(first.out, "0\n0.25\n0.1\n");  // nothing known: input order
  const auto second = concur_run(args);
  EXPECT_EQ(second.out, "0.25\n0.1\n0\n") << second.err;
  EXPECT_NE(read_text(dir / "h.json").find("concur run history"), std::string::npos);
}

TEST(RunHistory, CorruptOrForeignFileIsIgnoredWithOneWarning) {
  TempDir dir;
  write_text(dir / "corrupt.json", "{\"tool\": \"concur run history\", \"jobs\": {");
  const auto r = concur_run({"--history", dir / "corrupt.json", "true", ":::", "1"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(count_of(r.err, "warning"), 1) << r.err;
  EXPECT_NE(read_text(dir / "corrupt.json").find("\"true 1\""), std::string::npos);  // rewritten
  write_text(dir / "foreign.json", "{\"mine\": [1, 2]}");
  const auto f = concur_run({"--history", dir / "foreign.json", "true", ":::", "1"});
  EXPECT_EQ(f.status, 0);
  EXPECT_EQ(count_of(f.err, "warning"), 1) << f.err;
  EXPECT_EQ(read_text(dir / "foreign.json"), "{\"mine\": [1, 2]}");  // left alone
}

TEST(RunList, PrintsNameTabCommandAndRunsNothing) {
  TempDir dir;
  const auto r = concur_run({"--list", "touch", dir / "x", ":::", "a"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "touch " + (dir / "x") + " a\ttouch " + (dir / "x") + " a\n");
  EXPECT_FALSE(fs::exists(dir / "x"));
}

TEST(RunTestRunnerUsage, BadValuesAreOneLineAndExit2) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--partition", "hash:4/3", "true", ":::", "1"}, "--partition"},
      {{"--partition", "round:1/2", "true", ":::", "1"}, "--partition"},
      {{"--repeat", "0", "true", ":::", "1"}, "--repeat"},
      {{"--slow", "soon", "true", ":::", "1"}, "--slow"},
      {{"--leak-timeout", "x", "true", ":::", "1"}, "--leak-timeout"},
      {{"--pytest-per-test", "true", ":::", "1"}, "--pytest"},
      {{"--gtest", kIo, "--ctest", "build"}, "cannot be combined"},
      {{"--ctest", "/nonexistent"}, "CTestTestfile.cmake"},
  };
  for (const auto& [args, name] : cases) {
    const auto r = concur_run(args);
    EXPECT_EQ(r.status, 2) << name;
    EXPECT_EQ(count_of(r.err, "\n"), 1) << r.err;
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
  }
}

TEST(RunSummary, OneJobIsSingularAndUnstartedJobsHaveNoSpeedUp) {
  const auto r = concur_run({"true", ":::", "1"});
  EXPECT_NE(r.err.find("concur run: 1 job: 1 passed"), std::string::npos) << r.err;
  TempDir dir;
  concur_run({"--resume", "--joblog", dir / "log", "true", ":::", "1"});
  const auto again = concur_run({"--resume", "--joblog", dir / "log", "true", ":::", "1"});
  EXPECT_NE(again.err.find("(no job started)"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("speed-up"), std::string::npos) << again.err;
}

TEST(RunResults, UncreatableDirectoryIsOneErrorWithOnePrefix) {
  const auto r = concur_run({"--results", "/proc/x", "true", ":::", "1"});
  EXPECT_EQ(r.status, 255);
  EXPECT_EQ(count_of(r.err, "concur run:"), 1) << r.err;
  EXPECT_NE(r.err.find("cannot create directory '/proc/x'"), std::string::npos) << r.err;
}

}  // namespace
