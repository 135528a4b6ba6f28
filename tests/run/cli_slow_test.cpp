// concur run end to end, slow (ctest label "slow"): bounded memory with a job that
// prints 1 GiB, and the HTML report rendered by a real browser (headless Chromium).
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <regex>

#include "cli_support.hpp"

extern char** environ;  // NOLINT

namespace {

using namespace concur::test::run;

// Runs argv with stdout to /dev/null (stderr kept); returns {exit status, peak RSS in KiB} from
// wait4.
std::pair<int, long> run_measured(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return {-1, 0};
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, usage.ru_maxrss};
}

TEST(RunMemory, JobPrinting1GiBKeepsRunnerUnder64MiB) {
  for (const char* mode : {"--group", "--line-buffer"}) {
    std::vector<std::string> args = {
        kConcur, "run", "--", "sh", "-c", "head -c 1073741824 /dev/zero", ":::", "1"};
    if (std::string(mode) == "--line-buffer") args.insert(args.begin() + 2, mode);
    const auto [status, rss_kib] = run_measured(args);
    EXPECT_EQ(status, 0) << mode;
    EXPECT_LT(rss_kib, 64 * 1024) << mode << ": peak RSS " << rss_kib << " KiB";
  }
}

TEST(RunHtml, ChromiumRendersTheTimelineWithOneBarPerJob) {
  const char* chromium = "/usr/bin/chromium";
  if (::access(chromium, X_OK) != 0) GTEST_SKIP() << "chromium is not installed";
  TempDir dir;
  const std::string hostile =
      "printf '</script><script>document.title=\"pwned\";document.body.innerHTML=\"\"</script>"
      "<img src=x onerror=\"document.title=1\">\\377\\001\\n' >&2; exit 1";
  const auto r =
      concur_run({"-j", "2", "--timeout", "300ms", "--html", dir / "r.html", "--", "sh", "-c",
                  "case $0 in ok) exit 0;; hang) exec sleep 30;; *) " + hostile + ";; esac",
                  ":::", "ok", "ok", "bad", "hang"});
  ASSERT_EQ(r.status, 2) << r.err;
  const auto dom = sp::run(
      {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + (dir / "profile"), "--dump-dom", "file://" + (dir / "r.html")},
      {.in = sp::DEVNULL, .capture_output = true, .timeout = std::chrono::seconds(60)});
  ASSERT_EQ(dom.returncode, 0) << dom.err;
  const std::string& html = dom.out;
  // The page's script ran (it marks <body>), and built one bar per job in slot rows.
  EXPECT_NE(html.find("data-rendered=\"yes\""), std::string::npos) << html.substr(0, 2000);
  EXPECT_EQ(count_of(html, "class=\"bar passed\""), 2);
  EXPECT_EQ(count_of(html, "class=\"bar failed\""), 1);
  EXPECT_EQ(count_of(html, "class=\"bar timed_out\""), 1);
  EXPECT_EQ(count_of(html, "class=\"row\""), 2);
  // The job's markup stayed text: no injected element, title untouched.
  EXPECT_NE(html.find("<title>concur run report</title>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("2 passed"), std::string::npos);
}

}  // namespace
