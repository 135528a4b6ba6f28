#include <gtest/gtest.h>

#include "options.hpp"

namespace {

using namespace concur::cli::run;

TEST(RunOptions, ParsesOptionsCommandAndGroups) {
  const auto o = parse_options({"-j", "3", "--timeout=1.5s", "--tag", "--env", "A=b=c", "--",
                                "echo", "{}", ":::", "a", "b", ":::", "1"});
  EXPECT_EQ(o.jobs, 3);
  EXPECT_DOUBLE_EQ(o.timeout->count(), 1.5);
  EXPECT_TRUE(o.tag);
  ASSERT_EQ(o.env.size(), 1u);
  EXPECT_EQ(o.env[0].first, "A");
  EXPECT_EQ(o.env[0].second, "b=c");
  EXPECT_EQ(o.command, (std::vector<std::string>{"echo", "{}"}));
  ASSERT_EQ(o.groups.size(), 2u);
  EXPECT_EQ(o.groups[0], (std::vector<std::string>{"a", "b"}));
}

TEST(RunOptions, CommandStartsAtFirstNonOption) {
  const auto o = parse_options({"-j4", "-q", "gzip", "-9", ":::", "x"});
  EXPECT_EQ(o.jobs, 4);
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(o.command, (std::vector<std::string>{"gzip", "-9"}));
}

TEST(RunOptions, RejectsBadInputWithOneLine) {
  const auto message = [](std::vector<std::string> args) {
    try {
      parse_options(args);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({"--bogus", "echo"}).find("unknown option '--bogus'"), std::string::npos);
  EXPECT_NE(message({"--timeout", "soon", "echo"}).find("--timeout: 'soon'"), std::string::npos);
  EXPECT_NE(message({"--halt", "later,fail=1", "echo"}).find("--halt"), std::string::npos);
  EXPECT_NE(message({"-j", "-1", "echo"}).find("--jobs"), std::string::npos);
  EXPECT_NE(message({}).find("no command"), std::string::npos);
  EXPECT_NE(message({"--resume", "echo"}).find("--joblog"), std::string::npos);
  EXPECT_NE(message({"--timeout"}).find("needs a value"), std::string::npos);
  EXPECT_NE(message({"echo", ":::"}).find("no values"), std::string::npos);
  // CLI11 2.3 reads a flag's value with std::stoll; a huge one must be bad usage, not a crash.
  EXPECT_NE(message({"--no-progress=99999999999999999999999", "echo"})
                .find("'--no-progress': '99999999999999999999999' is out of range"),
            std::string::npos);
  for (const auto& m : {message({"--bogus"}), message({"--timeout", "x"})})
    EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(RunDuration, AcceptsSecondsAndUnits) {
  EXPECT_DOUBLE_EQ(parse_duration("90", "t").count(), 90);
  EXPECT_DOUBLE_EQ(parse_duration("1.5s", "t").count(), 1.5);
  EXPECT_DOUBLE_EQ(parse_duration("2m", "t").count(), 120);
  EXPECT_DOUBLE_EQ(parse_duration("500ms", "t").count(), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration("1h", "t").count(), 3600);
  for (const char* bad : {"", "s", "1.2.3", "-1", "5 s", "3x", "."})
    EXPECT_THROW(parse_duration(bad, "t"), UsageError) << bad;
}

TEST(RunHalt, ParsesEveryForm) {
  EXPECT_EQ(parse_halt("never").when, HaltPolicy::When::never);
  const auto soon = parse_halt("soon,fail=3");
  EXPECT_EQ(soon.when, HaltPolicy::When::soon);
  EXPECT_EQ(soon.fail_count, 3);
  const auto now = parse_halt("now,fail=1");
  EXPECT_EQ(now.when, HaltPolicy::When::now);
  const auto pct = parse_halt("fail=20%");
  EXPECT_DOUBLE_EQ(pct.fail_percent, 20);
  for (const char* bad : {"sometimes", "now,fail=", "now,fail=0", "soon,fail=x", "fail=200%",
                          "now,ok=1", "now", "fail=1.5"})
    EXPECT_THROW(parse_halt(bad), UsageError) << bad;
}

}  // namespace
