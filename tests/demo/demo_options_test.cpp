// concur demo's options: --help, bad options, --section, --no-python, and colour rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "demo/demo_runner.hpp"

namespace {

using concur::test::run_demo;
using ::testing::HasSubstr;
using ::testing::Not;

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(DemoOptions, HelpExitsZeroAndNamesEveryOption) {
  const auto r = run_demo({"--help"});
  EXPECT_EQ(r.returncode, 0);
  for (const char* option : {"--quick", "--json", "--section", "--no-python", "NO_COLOR"}) {
    EXPECT_THAT(r.out, HasSubstr(option));
  }
}

TEST(DemoOptions, UnknownOptionExitsTwoWithOneClearLine) {
  const auto r = run_demo({"--bogus"});
  EXPECT_EQ(r.returncode, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--bogus"));
  EXPECT_EQ(r.out, "");
}

TEST(DemoOptions, UnknownSectionExitsTwo) {
  const auto r = run_demo({"--section", "networking"});
  EXPECT_EQ(r.returncode, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("networking"));
}

TEST(DemoOptions, FlagWithHugeValueExitsTwoNamingIt) {  // found by fuzz_demo_options
  const auto r = run_demo({"--no-python=266666666666666666666666666"});
  EXPECT_EQ(r.returncode, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("'--no-python'"));
  EXPECT_THAT(r.err, HasSubstr("out of range"));
}

TEST(DemoOptions, SectionWithoutNameExitsTwo) {
  const auto r = run_demo({"--section"});
  EXPECT_EQ(r.returncode, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
}

TEST(DemoOptions, SectionRunsOnlyThatSection) {
  const auto r = run_demo({"--quick", "--no-python", "--section=subprocess"});
  ASSERT_EQ(r.returncode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("== subprocess"));
  EXPECT_THAT(r.out, Not(HasSubstr("== threading")));
  EXPECT_THAT(r.out, Not(HasSubstr("== multiprocessing")));
  EXPECT_THAT(r.out, HasSubstr("every timed experiment"));
}

TEST(DemoOptions, SubprocessSectionShowsEveryExperimentOfTheLecture) {
  const auto r = run_demo({"--quick", "--no-python", "--section", "subprocess"});
  ASSERT_EQ(r.returncode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Popen"));
  EXPECT_THAT(r.out, HasSubstr("Hello from a child"));
  EXPECT_THAT(r.out, HasSubstr("bc answered \"6\\n\""));
  EXPECT_THAT(r.out, HasSubstr("r.returncode = 2"));
  EXPECT_THAT(r.out, HasSubstr("TimeoutExpired"));
  EXPECT_THAT(r.out, HasSubstr("e.out = \"started\\n\""));
  EXPECT_THAT(r.out, HasSubstr("CalledProcessError"));
}

TEST(DemoOptions, ThreadingSectionShowsTheRaceTheLockAndTheSpeedUps) {
  const auto r = run_demo({"--quick", "--no-python", "--section", "threading"});
  ASSERT_EQ(r.returncode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Hello from greeter-1"));
  EXPECT_THAT(r.out, HasSubstr("without a Lock: counter = "));
  EXPECT_THAT(r.out, HasSubstr("with a Lock:    counter = 10\n"));
  EXPECT_THAT(r.out, HasSubstr("result 100000\n"));  // the sum of 10^5 ones, every variant
  EXPECT_THAT(r.out, HasSubstr("speed-up of 2 threads over 1"));
  EXPECT_THAT(r.out, HasSubstr("requests on a thread pool"));
  EXPECT_THAT(r.out, Not(HasSubstr("FAILED")));
}

TEST(DemoOptions, MultiprocessingSectionShowsCopiesSharingAndACrashThePoolSurvives) {
  const auto r = run_demo({"--quick", "--no-python", "--section", "multiprocessing"});
  ASSERT_EQ(r.returncode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("in the child:  accumulator has 5 items"));
  EXPECT_THAT(r.out, HasSubstr("in the parent: accumulator has 0 items"));
  EXPECT_THAT(r.out, HasSubstr("result 999000\n"));  // sum of 2x over range(1000)
  EXPECT_THAT(r.out, HasSubstr("SharedArray: no copy\n      C++"));
  EXPECT_THAT(r.out, HasSubstr("task 3: WorkerCrashed, exitcode -9"));
  EXPECT_THAT(r.out, HasSubstr("task 5: 50"));
  EXPECT_THAT(r.out, HasSubstr("= [2, 4, 6]"));
  EXPECT_THAT(r.out, Not(HasSubstr("FAILED")));
}

TEST(DemoOptions, PipedOutputHasNoEscapeCodes) {
  const auto r = run_demo({"--quick", "--no-python", "--section", "subprocess"});
  ASSERT_EQ(r.returncode, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
}

TEST(DemoOptions, NoPythonShowsCppAlone) {
  const auto r = run_demo({"--quick", "--no-python", "--section", "subprocess"});
  ASSERT_EQ(r.returncode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("showing C++ alone"));
  EXPECT_THAT(r.out, Not(HasSubstr("Python    ")));
}

}  // namespace
