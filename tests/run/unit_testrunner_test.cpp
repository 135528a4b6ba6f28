// The test runner's pure parts: suite listings parsed, filters, partitions, the history
// and its longest-first order, the live view's lines.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "discover.hpp"
#include "history.hpp"
#include "progress.hpp"
#include "selection.hpp"
#include "verdict.hpp"

namespace {

using namespace concur::cli::run;

std::vector<std::string> names(const std::vector<JobSpec>& jobs) {
  std::vector<std::string> n;
  for (const auto& j : jobs) n.push_back(j.name);
  return n;
}

TEST(RunDiscover, ParsesGtestListingWithParametersAndDisabledCases) {
  const auto jobs =
      parse_gtest_list("./t",
                       "Running main() from gtest_main.cc\n"
                       "Suite.\n  A\n  DISABLED_B\n"
                       "DISABLED_Off.\n  C\n"
                       "Inst/Param.  # TypeParam = int\n  Case/0  # GetParam() = 1\n");
  EXPECT_EQ(names(jobs), (std::vector<std::string>{"Suite.A", "Suite.DISABLED_B", "DISABLED_Off.C",
                                                   "Inst/Param.Case/0"}));
  EXPECT_FALSE(jobs[0].disabled);
  EXPECT_TRUE(jobs[1].disabled);
  EXPECT_TRUE(jobs[2].disabled);
  EXPECT_EQ(jobs[3].fixed->argv,
            (std::vector<std::string>{"./t", "--gtest_filter=Inst/Param.Case/0"}));
}

TEST(RunDiscover, ParsesCtestJsonWithEveryProperty) {
  const auto jobs = parse_ctest_json("/b", R"({"kind": "ctestInfo", "tests": [
    {"name": "a", "command": ["/bin/x", "1"], "properties": [
      {"name": "WORKING_DIRECTORY", "value": "/b/sub"},
      {"name": "ENVIRONMENT", "value": ["K=V=W", "bad"]},
      {"name": "LABELS", "value": ["fast", "unit"]},
      {"name": "TIMEOUT", "value": 2.5},
      {"name": "RUN_SERIAL", "value": true},
      {"name": "PROCESSORS", "value": 3},
      {"name": "DISABLED", "value": true},
      {"name": "RESOURCE_LOCK", "value": ["db"]},
      {"name": "DEPENDS", "value": ["b"]},
      {"name": "FIXTURES_REQUIRED", "value": ["server"]}]},
    {"name": "not_built"},
    {"oops": 1}]})");
  ASSERT_EQ(jobs.size(), 2u);
  const JobSpec& a = jobs[0];
  EXPECT_EQ(a.fixed->argv, (std::vector<std::string>{"/bin/x", "1"}));
  EXPECT_EQ(*a.fixed->cwd, "/b/sub");
  ASSERT_EQ(a.fixed->env.size(), 1u);
  EXPECT_EQ(a.fixed->env[0], (std::pair<std::string, std::string>{"K", "V=W"}));
  EXPECT_EQ(a.labels, (std::vector<std::string>{"fast", "unit"}));
  EXPECT_DOUBLE_EQ(a.timeout->count(), 2.5);
  EXPECT_TRUE(a.serial);
  EXPECT_EQ(a.processors, 3);
  EXPECT_EQ(jobs[1].processors, 1);
  EXPECT_TRUE(a.disabled);
  EXPECT_EQ(a.locks, (std::vector<std::string>{"db"}));
  EXPECT_EQ(a.depends, (std::vector<std::string>{"b"}));
  EXPECT_EQ(a.fixtures_required, (std::vector<std::string>{"server"}));
  EXPECT_EQ(*jobs[1].fixed->cwd, "/b");  // no WORKING_DIRECTORY: the build directory
  EXPECT_THROW(parse_ctest_json("/b", "not json"), DiscoveryError);
}

TEST(RunDiscover, ParsesCtestPassRulesAndRejectsABadRegexNamingTheTest) {
  const auto jobs = parse_ctest_json("/b", R"({"tests": [
    {"name": "a", "command": ["/bin/x"], "properties": [
      {"name": "WILL_FAIL", "value": true},
      {"name": "SKIP_RETURN_CODE", "value": 77},
      {"name": "PASS_REGULAR_EXPRESSION", "value": ["ok", "fine"]},
      {"name": "FAIL_REGULAR_EXPRESSION", "value": ["ERROR"]},
      {"name": "SKIP_REGULAR_EXPRESSION", "value": ["\\[  SKIPPED \\]"]},
      {"name": "REQUIRED_FILES", "value": ["data.bin"]}]},
    {"name": "plain", "command": ["/bin/x"]}]})");
  ASSERT_EQ(jobs.size(), 2u);
  const PassRules& r = jobs[0].rules;
  EXPECT_TRUE(r.will_fail);
  EXPECT_EQ(r.skip_return_code, 77);
  EXPECT_EQ(r.pass_regex, (std::vector<std::string>{"ok", "fine"}));
  EXPECT_EQ(r.fail_regex, (std::vector<std::string>{"ERROR"}));
  EXPECT_EQ(r.skip_regex, (std::vector<std::string>{"\\[  SKIPPED \\]"}));
  EXPECT_EQ(r.required_files, (std::vector<std::string>{"data.bin"}));
  EXPECT_TRUE(jobs[1].rules.trivial());
  try {
    parse_ctest_json("/b", R"({"tests": [{"name": "broken", "command": ["/bin/x"],
      "properties": [{"name": "PASS_REGULAR_EXPRESSION", "value": ["(unclosed"]}]}]})");
    ADD_FAILURE() << "a bad regex was accepted";
  } catch (const DiscoveryError& e) {
    EXPECT_NE(std::string(e.what()).find("'broken'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(unclosed"), std::string::npos) << e.what();
  }
}

// ctest's rules (cmCTestRunTest::EndTest, checked against ctest 3.25 in the slow suite).
TEST(RunVerdict, FollowsCtestsRulesForExitCodesRegexesAndWillFail) {
  const auto outcome = [](const PassRules& r, int rc, std::string_view out) {
    return judge(r, rc, out).outcome;
  };
  PassRules plain;
  EXPECT_EQ(outcome(plain, 0, ""), Outcome::passed);
  EXPECT_EQ(outcome(plain, 1, ""), Outcome::failed);
  PassRules will_fail{.will_fail = true};
  EXPECT_EQ(outcome(will_fail, 1, ""), Outcome::passed);
  EXPECT_EQ(outcome(will_fail, 0, ""), Outcome::failed);
  EXPECT_EQ(judge(will_fail, 0, "").reason, "WILL_FAIL: expected to fail");
  EXPECT_EQ(outcome(will_fail, -9, ""), Outcome::failed);  // a crash is never a pass
  PassRules skip_code{.skip_return_code = 4};
  EXPECT_EQ(outcome(skip_code, 4, ""), Outcome::skipped);
  EXPECT_EQ(judge(skip_code, 4, "").reason, "SKIP_RETURN_CODE=4");
  EXPECT_EQ(outcome(skip_code, 0, ""), Outcome::passed);
  EXPECT_EQ(outcome(skip_code, 3, ""), Outcome::failed);
  // A pass regex replaces the exit status; a fail regex overrides everything but a skip.
  PassRules pass{.pass_regex = {"^all good$"}};
  EXPECT_EQ(outcome(pass, 7, "x\nall good\ny"), Outcome::passed);
  EXPECT_EQ(outcome(pass, 0, "all bad"), Outcome::failed);
  EXPECT_EQ(judge(pass, 0, "all bad").reason, "required regular expression not found in output");
  PassRules fail{.fail_regex = {"ERROR|FATAL"}};
  EXPECT_EQ(outcome(fail, 0, "ok\nFATAL: x\n"), Outcome::failed);
  EXPECT_EQ(outcome(fail, 0, "ok\n"), Outcome::passed);
  PassRules skip{.fail_regex = {"ERROR"}, .skip_regex = {"\\[  SKIPPED \\]"}};
  EXPECT_EQ(outcome(skip, 1, "ERROR\n[  SKIPPED ] Suite.Case\n"), Outcome::skipped);
  EXPECT_EQ(outcome(skip, -6, "[  SKIPPED ] Suite.Case\n"), Outcome::failed);
  // WILL_FAIL inverts what the regexes decided.
  PassRules inverted{.will_fail = true, .fail_regex = {"boom"}};
  EXPECT_EQ(outcome(inverted, 0, "boom"), Outcome::passed);
  // Searched line by line: one huge line does not overflow the matcher's stack.
  EXPECT_EQ(outcome(pass, 0, std::string(1 << 20, 'a') + "\nall good\n"), Outcome::passed);
}

TEST(RunVerdict, RequiredFilesAreLookedUpInTheWorkingDirectory) {
  const auto dir = std::filesystem::temp_directory_path();
  PassRules r{.required_files = {"."}};
  EXPECT_EQ(missing_required_file(r, dir.string()), std::nullopt);
  r.required_files.push_back("no-such-file-here.bin");
  EXPECT_EQ(missing_required_file(r, dir.string()), "no-such-file-here.bin");
}

TEST(RunDiscover, ParsesPytestIdsPerFileOrPerTest) {
  const std::string listing =
      "t/test_a.py::test_one\nt/test_a.py::test_p[1-2]\nt/test_b.py::C::test_m\n\n"
      "3 tests collected in 0.01s\n";
  EXPECT_EQ(names(parse_pytest_collect(".", listing, false)),
            (std::vector<std::string>{"t/test_a.py", "t/test_b.py"}));
  const auto per_test = parse_pytest_collect("d", listing, true);
  EXPECT_EQ(names(per_test),
            (std::vector<std::string>{"t/test_a.py::test_one", "t/test_a.py::test_p[1-2]",
                                      "t/test_b.py::C::test_m"}));
  EXPECT_EQ(per_test[0].fixed->argv.back(), "t/test_a.py::test_one");
  EXPECT_EQ(*per_test[0].fixed->cwd, "d");
}

TEST(RunSelection, FiltersIncludeExcludeAndLabels) {
  EXPECT_TRUE(passes_filters("Io.Read", {}, {}));
  EXPECT_TRUE(passes_filters("Io.Read", {}, {"Io.*"}));
  EXPECT_FALSE(passes_filters("Math.Add", {}, {"Io.*"}));
  EXPECT_FALSE(passes_filters("Io.Slow", {}, {"Io.*", "-*.Slow"}));
  EXPECT_TRUE(passes_filters("Io.Fast", {}, {"-*.Slow"}));
  EXPECT_TRUE(passes_filters("x", {"unit"}, {"label:un*"}));
  EXPECT_FALSE(passes_filters("x", {"slow"}, {"-label:slow"}));
  EXPECT_TRUE(passes_filters("a/b.py::t[1]", {}, {"a/*"}));  // '*' crosses '/'
}

// As ctest -R: a filtered-in test brings its fixtures' setup and cleanup tests (and theirs).
TEST(RunSelection, AFilterKeepsTheFixtureTestsOfTheTestsItKeeps) {
  std::vector<JobSpec> jobs(6);
  const std::vector<std::string> n{"db_up", "net_up", "query", "db_down", "other", "net_down"};
  for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].name = n[i];
  jobs[0].fixtures_setup = {"db"};
  jobs[0].fixtures_required = {"net"};  // the database needs the network
  jobs[1].fixtures_setup = {"net"};
  jobs[2].fixtures_required = {"db"};
  jobs[3].fixtures_cleanup = {"db"};
  jobs[5].fixtures_cleanup = {"net"};
  EXPECT_EQ(select_jobs(jobs, n, {"query"}, std::nullopt),
            (std::vector<std::size_t>{0, 1, 2, 3, 5}));
  EXPECT_EQ(select_jobs(jobs, n, {"other"}, std::nullopt), (std::vector<std::size_t>{4}));
  EXPECT_EQ(select_jobs(jobs, n, {}, std::nullopt).size(), 6u);
}

TEST(RunSelection, PartitionsCoverEveryJobExactlyOnce) {
  std::vector<JobSpec> jobs(50);
  std::vector<std::string> n;
  for (std::size_t i = 0; i < jobs.size(); ++i) n.push_back("test_" + std::to_string(i * 7));
  for (const auto kind : {Partition::Kind::slice, Partition::Kind::hash}) {
    std::multiset<std::size_t> seen;
    for (int m = 1; m <= 4; ++m)
      for (const auto i : select_jobs(jobs, n, {}, Partition{kind, m, 4})) seen.insert(i);
    EXPECT_EQ(seen.size(), jobs.size());
    EXPECT_EQ(std::set<std::size_t>(seen.begin(), seen.end()).size(), jobs.size());
  }
  EXPECT_EQ(stable_hash("abc"), 0xe71fa2190541574bull);  // FNV-1a: the same on every machine
  EXPECT_EQ(parse_partition("hash:2/3").index, 2);
  for (const char* bad : {"hash:0/3", "hash:4/3", "slice:1", "1/2", "slice:a/2", "hash:1/0"})
    EXPECT_THROW(parse_partition(bad), UsageError) << bad;
}

TEST(RunSelection, RepeatRenumbersAndCountsRuns) {
  std::vector<JobSpec> jobs(2);
  jobs[0].name = "a";
  jobs[1].name = "b";
  const auto r = repeat_jobs(jobs, 3);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[4].name, "b");
  EXPECT_EQ(r[4].repeat, 1u);
  EXPECT_EQ(r[5].seq, 6u);
}

class HistoryFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("concur-history-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(HistoryFile, RoundTripsAndAveragesRuns) {
  std::vector<std::string> warnings;
  const auto warn = [&](const std::string& w) { warnings.push_back(w); };
  History h = History::load(path("sub/h.json"), warn);  // missing: empty, no warning
  EXPECT_EQ(h.size(), 0u);
  h.record("a", 2.0);
  h.record("b", 1.0);
  h.save(path("sub/h.json"));  // creates sub/
  History again = History::load(path("sub/h.json"), warn);
  again.record("a", 4.0);
  EXPECT_DOUBLE_EQ(*again.expected("a"), 3.0);
  EXPECT_FALSE(again.expected("c"));
  EXPECT_TRUE(warnings.empty());
}

TEST_F(HistoryFile, CorruptAndForeignFilesAreIgnoredWithOneWarning) {
  std::vector<std::string> warnings;
  const auto warn = [&](const std::string& w) { warnings.push_back(w); };
  std::ofstream(path("bad.json")) << "{\"tool\": \"concur run history\", \"jobs\": [";
  EXPECT_TRUE(History::load(path("bad.json"), warn).writable());
  std::ofstream(path("foreign.json")) << "[1, 2, 3]";
  EXPECT_FALSE(History::load(path("foreign.json"), warn).writable());
  std::ofstream(path("odd.json"))
      << R"({"tool": "concur run history", "jobs": {"a": {"s": -1}, "b": "x", "c": {"s": 2}}})";
  const History odd = History::load(path("odd.json"), warn);  // bad entries skipped
  EXPECT_EQ(odd.size(), 1u);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("bad.json"), std::string::npos);
  EXPECT_NE(warnings[1].find("not a concur run history"), std::string::npos);
}

TEST_F(HistoryFile, ReadsAFileOfManyChunksAndRefusesOneOver64MiB) {
  std::vector<std::string> warnings;
  const auto warn = [&](const std::string& w) { warnings.push_back(w); };
  std::string text = R"({"tool": "concur run history", "version": 1, "jobs": {)";
  for (int i = 0; i < 5000; ++i)  // ~250 KiB: the reader's 64 KiB chunks, several times
    text += (i ? ", " : "") + std::string("\"job-") + std::to_string(i) + std::string(20, 'x') +
            "\": {\"s\": " + std::to_string(i) + ", \"runs\": 1}";
  text += "}}";
  std::ofstream(path("big.json")) << text;
  const History big = History::load(path("big.json"), warn);
  EXPECT_EQ(big.size(), 5000u);
  EXPECT_DOUBLE_EQ(*big.expected("job-4999" + std::string(20, 'x')), 4999.0);
  EXPECT_TRUE(warnings.empty());

  std::ofstream(path("huge.json")) << "{";
  std::filesystem::resize_file(path("huge.json"), (std::size_t{64} << 20) + 1);  // sparse
  const History huge = History::load(path("huge.json"), warn);
  EXPECT_EQ(huge.size(), 0u);
  EXPECT_TRUE(huge.writable());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("larger than 64 MiB"), std::string::npos) << warnings[0];
}

TEST_F(HistoryFile, LongestFirstWithUnknownJobsFirst) {
  History h = History::load(path("none.json"), [](const std::string&) {});
  h.record("short", 1);
  h.record("long", 9);
  h.record("mid", 5);
  const auto order = longest_first({"short", "new1", "long", "mid", "new2"}, h);
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 4, 2, 3, 0}));
}

TEST(RunLiveView, ShowsCountsEtaAndRunningJobsLongestFirst) {
  JobResult a, b;
  a.name = "Suite.Quick";
  b.name = "Suite.Long\x1b[2J";
  b.slow = true;
  Snapshot s;
  s.done = 3;
  s.total = 10;
  s.passed = 2;
  s.failed = 1;
  s.eta_s = 75;
  s.running = {{&a, 1.0}, {&b, 65.0}};
  const auto lines = Progress::render_view(s, 80, 24);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("3/10"), std::string::npos);
  EXPECT_NE(lines[0].find("ETA 1:15"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("2 passed, 1 failed"), std::string::npos);
  EXPECT_NE(lines[1].find("1:05 SLOW Suite.Long?[2J"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("0:01 Suite.Quick"), std::string::npos);
  for (const auto& l : lines) EXPECT_LT(l.size(), 80u);
  EXPECT_EQ(Progress::render_view(s, 80, 3).size(), 2u);  // a short terminal: "... and 2 more"
}

}  // namespace
