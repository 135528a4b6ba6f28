#include <gtest/gtest.h>

#include "jobs.hpp"
#include "options.hpp"
#include "template.hpp"

namespace {

using namespace concur::cli::run;

std::string expand(const std::string& t, std::vector<std::string> values, bool quote = false) {
  return Template::compile(t, values.size()).expand(values, 7, 2, quote);
}

TEST(RunTemplate, ExpandsGnuParallelPlaceholders) {
  EXPECT_EQ(expand("{}", {"dir/sub/a.tar.gz"}), "dir/sub/a.tar.gz");
  EXPECT_EQ(expand("{.}", {"dir/sub/a.tar.gz"}), "dir/sub/a.tar");
  EXPECT_EQ(expand("{/}", {"dir/sub/a.tar.gz"}), "a.tar.gz");
  EXPECT_EQ(expand("{//}", {"dir/sub/a.tar.gz"}), "dir/sub");
  EXPECT_EQ(expand("{/.}", {"dir/sub/a.tar.gz"}), "a.tar");
  EXPECT_EQ(expand("{//}", {"a.c"}), ".");
  EXPECT_EQ(expand("{.}", {"d.x/file"}), "d.x/file");
  EXPECT_EQ(expand("{#}-{%}", {"v"}), "7-2");
  EXPECT_EQ(expand("{2}{1.}", {"a.c", "b"}), "ba");
  EXPECT_EQ(expand("x{}y", {"a", "b"}), "xa by");
}

// Found by the GNU parallel differential test (tests/differential): "a//b" gave "a/".
TEST(RunTemplate, DirnameDropsTheWholeRunOfSlashes) {
  EXPECT_EQ(expand("{//}", {"a//b"}), "a");
  EXPECT_EQ(expand("{//}", {"x/y///z"}), "x/y");
  EXPECT_EQ(expand("{//}", {"//z"}), "/");
  EXPECT_EQ(expand("{//}", {"/z"}), "/");
}

TEST(RunTemplate, LeavesNonPlaceholderBracesAlone) {
  EXPECT_EQ(expand("awk '{print $1}'", {"v"}), "awk '{print $1}'");
  EXPECT_EQ(expand("${HOME}", {"v"}), "${HOME}");
  EXPECT_FALSE(Template::compile("{\"a\": 1}", 1).has_placeholder());
}

TEST(RunTemplate, RejectsUnknownPlaceholders) {
  EXPECT_THROW(Template::compile("{foo}", 1), UsageError);
  EXPECT_THROW(Template::compile("{3}", 2), UsageError);
  EXPECT_THROW(Template::compile("{0}", 2), UsageError);
  EXPECT_THROW(Template::compile("{.x}", 1), UsageError);
}

TEST(RunTemplate, QuotesValuesForTheShell) {
  EXPECT_EQ(expand("rm {}", {"a; rm -rf ~"}, true), "rm 'a; rm -rf ~'");
  EXPECT_EQ(expand("cat {}", {"it's"}, true), "cat 'it'\"'\"'s'");
  EXPECT_EQ(expand("cat {}", {""}, true), "cat ''");
  EXPECT_EQ(expand("cat {}", {"plain-word_1.txt"}, true), "cat plain-word_1.txt");
}

TEST(RunInputs, CartesianProductFirstGroupSlowest) {
  Options o;
  o.command = {"echo"};
  o.groups = {{"a", "b"}, {"1", "2", "3"}};
  const auto in = collect_inputs(o, -1);
  ASSERT_EQ(in.jobs.size(), 6u);
  EXPECT_EQ(in.jobs[0].values, (std::vector<std::string>{"a", "1"}));
  EXPECT_EQ(in.jobs[2].values, (std::vector<std::string>{"a", "3"}));
  EXPECT_EQ(in.jobs[3].values, (std::vector<std::string>{"b", "1"}));
  EXPECT_EQ(in.jobs[5].seq, 6u);
}

TEST(RunInputs, UnreadableJobsFileIsAUsageError) {
  Options o;
  o.jobs_file = "/nonexistent/jobs.txt";
  EXPECT_THROW(collect_inputs(o, -1), UsageError);
}

TEST(RunPlan, AppendsValuesWithoutPlaceholderAndQuotesUnderShell) {
  Options o;
  o.command = {"echo", "x"};
  const JobSpec job{.seq = 1, .values = {"a b;c"}};
  EXPECT_EQ(CommandPlan(o, 1).expand(job, 1).argv,
            (std::vector<std::string>{"echo", "x", "a b;c"}));
  o.shell = true;
  const auto c = CommandPlan(o, 1).expand(job, 1);
  EXPECT_TRUE(c.shell);
  EXPECT_EQ(c.argv, (std::vector<std::string>{"echo x 'a b;c'"}));
}

TEST(RunPlan, NoCommandRunsEachValueThroughTheShell) {
  Options o;
  const auto c = CommandPlan(o, 1).expand(JobSpec{.seq = 1, .values = {"echo hi | wc -c"}}, 1);
  EXPECT_TRUE(c.shell);
  EXPECT_EQ(c.argv, (std::vector<std::string>{"echo hi | wc -c"}));
}

TEST(RunPlan, ExpandsCwdAndEnv) {
  Options o;
  o.command = {"make"};
  o.cwd = "build/{/}";
  o.env = {{"SLOT", "{%}"}};
  const auto c = CommandPlan(o, 1).expand(JobSpec{.seq = 3, .values = {"x/y"}}, 2);
  EXPECT_EQ(c.cwd, "build/y");
  EXPECT_EQ(c.env[0].second, "2");
}

}  // namespace
