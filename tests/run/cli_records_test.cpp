// concur run end to end: --joblog, --resume, --results.
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace {

using namespace concur::test::run;

TEST(RunJoblog, GnuParallelColumnsOneLinePerJob) {
  TempDir dir;
  const auto r = concur_run(
      {"-j", "1", "--joblog", dir / "log", "sh", "-c", "printf abc; exit $0", ":::", "0", "3"});
  EXPECT_EQ(r.status, 1);
  const auto lines = lines_of(read_text(dir / "log"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand");
  std::vector<std::string> cols;
  std::istringstream in(lines[2]);
  for (std::string c; std::getline(in, c, '\t');) cols.push_back(c);
  ASSERT_EQ(cols.size(), 9u);
  EXPECT_EQ(cols[0], "2");
  EXPECT_EQ(cols[5], "3");  // bytes received on stdout
  EXPECT_EQ(cols[6], "3");  // exit value
  EXPECT_EQ(cols[7], "0");
  EXPECT_EQ(cols[8], "sh -c 'printf abc; exit $0' 3");
  EXPECT_GT(std::stod(cols[2]), 1.6e9);
}

TEST(RunJoblog, ResumeSkipsJobsThatFinishedOk) {
  TempDir dir;
  const std::string job =
      "echo $0 >> " + (dir / "ran") + "; [ -e " + (dir / "fixed") + " ] || exit $0";
  const std::vector<std::string> args = {"-j", "1", "--joblog", dir / "log", "--resume", "--", "sh",
                                         "-c", job, ":::",      "0",         "1",        "0"};
  EXPECT_EQ(concur_run(args).status, 1);
  EXPECT_EQ(read_text(dir / "ran"), "0\n1\n0\n");
  write_text(dir / "fixed", "");
  const auto again = concur_run(args);
  EXPECT_EQ(again.status, 0);
  EXPECT_EQ(read_text(dir / "ran"), "0\n1\n0\n1\n");  // only the failed job ran again
  EXPECT_NE(again.err.find("1 passed, 0 failed, 0 timed out, 2 skipped"), std::string::npos)
      << again.err;
  EXPECT_EQ(count_of(read_text(dir / "log"), "Seq\tHost"), 1);  // appended, one header
}

TEST(RunResults, WritesStdoutStderrAndMetaPerJob) {
  TempDir dir;
  const auto r = concur_run(
      {"--results", dir / "res", "sh", "-c", "echo out $0; echo err >&2; exit 4", ":::", "v"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(read_text(dir.path() / "res" / "1" / "stdout"), "out v\n");
  EXPECT_EQ(read_text(dir.path() / "res" / "1" / "stderr"), "err\n");
  const auto meta = nlohmann::json::parse(read_text(dir.path() / "res" / "1" / "meta.json"));
  EXPECT_EQ(meta["exit_status"], 4);
  EXPECT_EQ(meta["outcome"], "failed");
  EXPECT_EQ(meta["values"][0], "v");
}

}  // namespace
