// The differential tests at full size (label slow).
#include <gtest/gtest.h>

#include "parallel_diff.hpp"
#include "shlex_diff.hpp"
#include "subprocess_diff.hpp"

namespace {

using namespace concur::difftest;

TEST(ShlexVsPythonSlow, SplitAndQuoteAgreeOnAHundredThousandRandomStrings) {
  for (const auto& d : compare_shlex_with_python(100000, 1702)) ADD_FAILURE() << d;
}

TEST(RunVsGnuParallelSlow, PlaceholdersOutputAndJoblogAgreeOnAThousandValues) {
  if (!have_program("parallel")) GTEST_SKIP() << "GNU parallel is not installed";
  for (const auto& d : compare_run_with_parallel(1000, 1704)) ADD_FAILURE() << d;
}

TEST(SubprocessRunVsPythonSlow, AgreeOnTheWholeTableWithHugeOutputsAndTimeouts) {
  for (const auto& d : compare_run_with_python(64 << 20, true)) ADD_FAILURE() << d;
}

}  // namespace
