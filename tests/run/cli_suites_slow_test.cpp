// concur run as a test runner over real suites (ctest label "slow": each configures a CMake
// project, starts pytest or a browser): a CMake build directory made here (add_test and its
// properties), a small pytest suite, the live view in a real terminal (tmux), and the HTML
// report's markers and failure lines checked in headless Chromium.
#include <support/leak_check.hpp>

#include <nlohmann/json.hpp>

#include <map>

#include "cli_support.hpp"

namespace {

using namespace concur::test::run;
using nlohmann::json;

json job_named(const json& report, const std::string& name) {
  for (const auto& j : report["jobs"])
    if (j["name"] == name) return j;
  ADD_FAILURE() << "no job " << name;
  return json::object();
}

// A CMake project whose tests exercise every property concur run honours, configured in
// dir/build.
void make_ctest_project(const TempDir& dir) {
  fs::create_directories(dir.path() / "src" / "sub");
  write_text(dir.path() / "src" / "CMakeLists.txt", R"(cmake_minimum_required(VERSION 3.16)
project(suite NONE)
enable_testing()
add_test(NAME env_and_cwd COMMAND sh -c "echo \"$PWD $GREETING\" > ../out.txt")
set_tests_properties(env_and_cwd PROPERTIES ENVIRONMENT "GREETING=hello" LABELS "fast;unit"
                     WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/sub)
add_test(NAME times_out COMMAND sleep 30)
set_tests_properties(times_out PROPERTIES TIMEOUT 0.3 LABELS slow)
add_test(NAME serial_a COMMAND sh -c "sleep 0.2")
add_test(NAME serial_b COMMAND sh -c "sleep 0.2")
set_tests_properties(serial_a serial_b PROPERTIES RUN_SERIAL ON)
add_test(NAME parallel_c COMMAND sh -c "sleep 0.2")
add_test(NAME wide COMMAND sh -c "sleep 0.2")
set_tests_properties(wide PROPERTIES PROCESSORS 8)
add_test(NAME switched_off COMMAND false)
set_tests_properties(switched_off PROPERTIES DISABLED ON)
add_subdirectory(sub)
)");
  write_text(dir.path() / "src" / "sub" / "CMakeLists.txt",
             "add_test(NAME in_sub COMMAND sh -c \"pwd; exit 3\")\n");
  const auto cfg =
      sp::run({"cmake", "-S", dir / "src", "-B", dir / "build"},
              {.in = sp::DEVNULL, .capture_output = true, .timeout = std::chrono::seconds(120)});
  ASSERT_EQ(cfg.returncode, 0) << cfg.err;
}

TEST(RunCtest, HonoursCommandDirectoryEnvironmentLabelsTimeoutSerialProcessorsAndDisabled) {
  TempDir dir;
  make_ctest_project(dir);
  const auto r =
      concur_run({"-j", "4", "--no-history", "--json", dir / "r.json", "--ctest", dir / "build"});
  EXPECT_EQ(r.status, 2) << r.err;  // times_out and in_sub
  EXPECT_NE(r.err.find("8 jobs: 5 passed, 1 failed, 1 timed out, 1 skipped"), std::string::npos)
      << r.err;
  EXPECT_EQ(read_text(dir.path() / "build" / "out.txt"), (dir / "build") + "/sub hello\n");
  const json report = json::parse(read_text(dir / "r.json"));
  EXPECT_EQ(job_named(report, "times_out")["outcome"], "timed_out");
  EXPECT_LT(job_named(report, "times_out")["runtime_s"].get<double>(), 5.0);
  EXPECT_EQ(job_named(report, "switched_off")["outcome"], "skipped");
  EXPECT_EQ(job_named(report, "in_sub")["exit_status"], 3);
  EXPECT_EQ(job_named(report, "in_sub")["cwd"], (dir / "build") + "/sub");
  EXPECT_EQ(job_named(report, "env_and_cwd")["labels"], json({"fast", "unit"}));
  // A RUN_SERIAL test overlaps no other test; nor does one taking all 4 slots (PROCESSORS 8
  // at -j 4: as ctest, never more slots than there are).
  for (const char* serial : {"serial_a", "serial_b", "wide"}) {
    const json s = job_named(report, serial);
    const double s0 = s["start_offset_s"], s1 = s0 + s["runtime_s"].get<double>();
    for (const auto& o : report["jobs"]) {
      if (o["name"] == serial || !o["started"].get<bool>()) continue;
      const double o0 = o["start_offset_s"], o1 = o0 + o["runtime_s"].get<double>();
      EXPECT_TRUE(o1 <= s0 + 1e-3 || o0 >= s1 - 1e-3) << serial << " overlaps " << o["name"];
    }
  }
  // Labels select tests.
  const auto fast = concur_run({"--list", "--filter", "label:fast", "--ctest", dir / "build"});
  EXPECT_EQ(fast.out.substr(0, fast.out.find('\t')), "env_and_cwd");
  EXPECT_EQ(count_of(fast.out, "\n"), 1);
}

TEST(RunCtest, DefaultHistoryMakesTheSecondRunLongestFirst) {
  TempDir dir;
  make_ctest_project(dir);
  const auto first = concur_run({"-j", "1", "--filter", "-label:slow", "--ctest", dir / "build"},
                                std::nullopt, dir.path());
  ASSERT_TRUE(fs::exists(dir.path() / ".concur" / "history.json")) << first.err;
  const auto second =
      concur_run({"--dry-run", "-j", "1", "--filter", "-label:slow", "--ctest", dir / "build"},
                 std::nullopt, dir.path());
  // Serial tests first; then the longest (the 0.2 s sleeps) before the quick ones.
  const auto lines = lines_of(second.out);
  ASSERT_GE(lines.size(), 4u) << second.out;
  EXPECT_NE(lines[2].find("sleep 0.2"), std::string::npos) << second.out;
  EXPECT_EQ(lines.back().find("sleep 0.2"), std::string::npos) << second.out;
}

// Fixtures and ctest's pass rules, compared with what ctest itself reports for the same
// build directory: a failed fixture setup means its users are not run (their cleanup still
// is); DEPENDS only orders; SKIP_RETURN_CODE, the regexes, WILL_FAIL and REQUIRED_FILES.
TEST(RunCtest, FixturesAndPassRulesAsCtestDecidesThem) {
  TempDir dir;
  fs::create_directories(dir.path() / "src");
  write_text(dir.path() / "src" / "CMakeLists.txt", R"(cmake_minimum_required(VERSION 3.16)
project(rules NONE)
enable_testing()
add_test(NAME setup COMMAND sh -c "exit 1")
add_test(NAME user COMMAND sh -c "touch ../user_ran")
add_test(NAME user_two COMMAND sh -c "true")
add_test(NAME cleanup COMMAND sh -c "true")
add_test(NAME good_setup COMMAND sh -c "true")
add_test(NAME good_user COMMAND sh -c "true")
add_test(NAME expected_to_fail COMMAND sh -c "exit 1")
add_test(NAME after_it COMMAND sh -c "true")
add_test(NAME skip_code COMMAND sh -c "exit 4")
add_test(NAME skip_regex COMMAND sh -c "echo '[  SKIPPED ] it'")
add_test(NAME pass_regex_missing COMMAND sh -c "echo nope")
add_test(NAME pass_regex_found COMMAND sh -c "echo all good; exit 3")
add_test(NAME fail_regex COMMAND sh -c "echo ERROR here >&2")
add_test(NAME needs_file COMMAND sh -c "true")
set_tests_properties(setup PROPERTIES FIXTURES_SETUP broken)
set_tests_properties(user PROPERTIES FIXTURES_REQUIRED broken)
set_tests_properties(user_two PROPERTIES FIXTURES_REQUIRED "broken;fine")
set_tests_properties(cleanup PROPERTIES FIXTURES_CLEANUP broken)
set_tests_properties(good_setup PROPERTIES FIXTURES_SETUP fine)
set_tests_properties(good_user PROPERTIES FIXTURES_REQUIRED fine)
set_tests_properties(expected_to_fail PROPERTIES WILL_FAIL ON)
set_tests_properties(after_it PROPERTIES DEPENDS expected_to_fail)
set_tests_properties(skip_code PROPERTIES SKIP_RETURN_CODE 4)
set_tests_properties(skip_regex PROPERTIES SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
set_tests_properties(pass_regex_missing pass_regex_found PROPERTIES PASS_REGULAR_EXPRESSION "good")
set_tests_properties(fail_regex PROPERTIES FAIL_REGULAR_EXPRESSION "ERROR")
set_tests_properties(needs_file PROPERTIES REQUIRED_FILES /nonexistent/concur-required)
)");
  const auto cfg =
      sp::run({"cmake", "-S", dir / "src", "-B", dir / "build"},
              {.in = sp::DEVNULL, .capture_output = true, .timeout = std::chrono::seconds(120)});
  ASSERT_EQ(cfg.returncode, 0) << cfg.err;
  const auto r =
      concur_run({"-j", "3", "--no-history", "--json", dir / "r.json", "--ctest", dir / "build"});
  EXPECT_NE(r.err.find("14 jobs: 6 passed, 4 failed, 0 timed out, 4 skipped"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.status, 4) << r.err;
  EXPECT_NE(r.err.find("NOT RUN #2 user ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the setup of fixture 'broken' (setup) failed\n"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "build" / "user_ran"));
  const json report = json::parse(read_text(dir / "r.json"));
  EXPECT_EQ(job_named(report, "pass_regex_missing")["reason"],
            "required regular expression not found in output");
  EXPECT_EQ(job_named(report, "skip_code")["reason"], "SKIP_RETURN_CODE=4");
  // Under -q only the outputs' tails are kept: the regexes still see them.
  const auto quiet = concur_run({"-q", "--no-history", "--json", dir / "q.json", "--filter",
                                 "skip_regex", "--ctest", dir / "build"});
  EXPECT_EQ(job_named(json::parse(read_text(dir / "q.json")), "skip_regex")["outcome"], "skipped")
      << quiet.err;
  // ctest's verdict for every test: Passed, Failed, Skipped, or Not Run (a failed fixture
  // setup, a missing REQUIRED_FILE): concur reports the first three alike, and "not run" as a
  // job never started (a fixture) or one that could not start (a missing file).
  const auto ctest =
      sp::run({"ctest", "--test-dir", dir / "build", "-j", "3"},
              {.in = sp::DEVNULL, .capture_output = true, .timeout = std::chrono::seconds(120)});
  std::map<std::string, std::string> verdicts;
  for (const auto& line : lines_of(ctest.out)) {
    const auto colon = line.find(": ");
    const auto dots = line.find(" .");
    if (line.find("Test") == std::string::npos || colon == std::string::npos ||
        dots == std::string::npos || dots < colon)
      continue;
    const std::string name = line.substr(colon + 2, dots - colon - 2);
    for (const char* v : {"Passed", "Failed", "Skipped", "Not Run"})
      if (line.find(v, dots) != std::string::npos) verdicts[name] = v;
  }
  ASSERT_EQ(verdicts.size(), 14u) << ctest.out;
  EXPECT_EQ(verdicts["user"], "Not Run") << ctest.out;
  for (const auto& [name, verdict] : verdicts) {
    const json job = job_named(report, name);
    const std::string outcome = job["outcome"];
    if (verdict == "Not Run")
      EXPECT_TRUE((outcome == "skipped" && !job["started"].get<bool>()) || job.contains("error"))
          << name << ": " << job.dump();
    else
      EXPECT_EQ(outcome, verdict == "Passed"   ? "passed"
                         : verdict == "Failed" ? "failed"
                                               : "skipped")
          << name << " (ctest: " << verdict << ")";
  }
}

TEST(RunPytest, RunsAPytestSuitePerFileAndPerTest) {
  TempDir dir;
  fs::create_directories(dir.path() / "tests");
  write_text(dir.path() / "tests" / "test_ok.py",
             "import pytest\n\ndef test_one():\n    assert 1 + 1 == 2\n\n"
             "@pytest.mark.parametrize('x', [1, 2])\ndef test_param(x):\n    assert x > 0\n");
  write_text(dir.path() / "tests" / "test_bad.py",
             "def test_wrong():\n    assert 'concur' == 'xargs', 'not the same tool'\n");
  const auto r =
      concur_run({"--no-history", "--json", dir / "r.json", "--pytest", dir.path().string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("2 jobs: 1 passed, 1 failed"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("not the same tool"), std::string::npos) << r.out;
  const json report = json::parse(read_text(dir / "r.json"));
  EXPECT_EQ(job_named(report, "tests/test_bad.py")["outcome"], "failed");
  const auto ids = concur_run({"--list", "--pytest-per-test", "--pytest", dir.path().string()});
  EXPECT_EQ(count_of(ids.out, "\n"), 4) << ids.out << ids.err;
  EXPECT_NE(ids.out.find("tests/test_ok.py::test_param[2]\t"), std::string::npos) << ids.out;
  const auto one = concur_run({"--no-history", "--pytest-per-test", "--filter", "*param*",
                               "--pytest", dir.path().string()});
  EXPECT_EQ(one.status, 0) << one.err;
  EXPECT_NE(one.err.find("2 jobs: 2 passed"), std::string::npos) << one.err;
}

// tmux: a real terminal of the given size running `command`; the pane's text on demand.
class Tmux {
 public:
  Tmux(const std::string& session, int width, int height, const std::string& command)
      : session_(session) {
    ok_ = sp::call({"tmux", "new-session", "-d", "-s", session_, "-x", std::to_string(width), "-y",
                    std::to_string(height), command},
                   {.in = sp::DEVNULL, .out = sp::DEVNULL, .err = sp::DEVNULL}) == 0;
  }
  ~Tmux() {
    sp::call({"tmux", "kill-session", "-t", session_},
             {.in = sp::DEVNULL, .out = sp::DEVNULL, .err = sp::DEVNULL});
  }
  bool ok() const { return ok_; }
  std::string pane() const {
    return sp::run({"tmux", "capture-pane", "-p", "-t", session_},
                   {.in = sp::DEVNULL, .capture_output = true})
        .out;
  }

 private:
  std::string session_;
  bool ok_ = false;
};

TEST(RunLiveView, ATerminalShowsCountsEtaAndRunningJobsThenTheSummary) {
  if (sp::call({"sh", "-c", "command -v tmux"}, {.out = sp::DEVNULL}) != 0)
    GTEST_SKIP() << "tmux is not installed";
  TempDir dir;
  // Jobs wait for a file the test creates once it has seen them in the live view.
  write_text(dir / "w.sh", "while [ ! -e go ]; do sleep 0.02; done\n");
  const std::string go = dir / "go";
  const std::string cmd = "cd " + dir.path().string() + " && " + kConcur +
                          " run -j 2 --slow 100ms --history h.json -- sh w.sh ::: job_alpha "
                          "job_beta job_gamma; echo EXIT=$?; sleep 60";
  Tmux wide("concur-live-" + std::to_string(::getpid()), 100, 20, cmd);
  ASSERT_TRUE(wide.ok());
  std::string pane;
  EXPECT_TRUE(concur::test::eventually([&] {
    pane = wide.pane();
    return pane.find("SLOW") != std::string::npos && pane.find("job_beta") != std::string::npos;
  })) << pane;
  EXPECT_NE(pane.find("0/3"), std::string::npos) << pane;
  EXPECT_NE(pane.find("ETA"), std::string::npos) << pane;
  EXPECT_NE(pane.find("running 2"), std::string::npos) << pane;
  EXPECT_NE(pane.find("job_alpha"), std::string::npos) << pane;
  EXPECT_EQ(pane.find("job_gamma"), std::string::npos) << pane;  // not started yet: -j 2
  write_text(go, "");
  EXPECT_TRUE(concur::test::eventually([&] {
    pane = wide.pane();
    return pane.find("EXIT=0") != std::string::npos;
  })) << pane;
  EXPECT_NE(pane.find("3 jobs: 3 passed"), std::string::npos) << pane;
  EXPECT_EQ(pane.find("running 2"), std::string::npos) << pane;  // the view was cleared
  EXPECT_EQ(pane.find("ETA"), std::string::npos) << pane;

  // A narrow terminal: the one progress line, no list of running jobs.
  fs::remove(go);
  Tmux narrow("concur-narrow-" + std::to_string(::getpid()), 50, 20, cmd);
  ASSERT_TRUE(narrow.ok());
  EXPECT_TRUE(concur::test::eventually([&] {
    pane = narrow.pane();
    return pane.find("running 2 ETA") != std::string::npos;
  })) << pane;
  EXPECT_EQ(pane.find(" sh w.sh job_alpha\n"), std::string::npos) << pane;  // no job lines
  EXPECT_EQ(pane.find("0:00 SLOW"), std::string::npos) << pane;
  write_text(go, "");
  EXPECT_TRUE(
      concur::test::eventually([&] { return narrow.pane().find("EXIT=0") != std::string::npos; }));
}

TEST(RunHtml, ChromiumShowsFlakyLeakySlowMarkersAndFailureLines) {
  const char* chromium = "/usr/bin/chromium";
  if (::access(chromium, X_OK) != 0) GTEST_SKIP() << "chromium is not installed";
  TempDir dir;
  const std::string io = std::string(CONCUR_HELPER_DIR) + "/fake_gtest_io";
  const std::string math = std::string(CONCUR_HELPER_DIR) + "/fake_gtest_math";
  const auto r = concur_run({"--no-history", "--env", "FAKE_GTEST_STATE=" + dir.path().string(),
                             "--retries", "1", "--slow", "100ms", "--html", dir / "r.html",
                             "--filter", "-Io.Alternates", "--gtest", io, math});
  ASSERT_EQ(r.status, 2) << r.err;  // Math.Fails, and Io.Leaks (leaky)
  const auto dom = sp::run(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + (dir / "profile"), "--dump-dom", "file://" + (dir / "r.html")},
      {.in = sp::DEVNULL, .capture_output = true, .timeout = std::chrono::seconds(60)});
  ASSERT_EQ(dom.returncode, 0) << dom.err;
  const std::string& html = dom.out;
  EXPECT_NE(html.find("data-rendered=\"yes\""), std::string::npos);
  EXPECT_EQ(count_of(html, "class=\"bar passed flaky\""), 1) << html;
  EXPECT_EQ(count_of(html, "class=\"bar failed leaky\""), 1);
  EXPECT_EQ(count_of(html, "class=\"bar passed slow\""), 1);
  EXPECT_NE(html.find("<span class=\"mark\">F</span>"), std::string::npos);
  // Each failed job's last stderr lines are in the page, not only in a tooltip.
  EXPECT_EQ(count_of(html, "<section class=\"failure\""), 2);
  EXPECT_NE(html.find("<pre>math_test.cpp:12: Failure\nexpected 2, got 3</pre>"),
            std::string::npos);
  EXPECT_NE(html.find("left behind: "), std::string::npos);
}

}  // namespace
