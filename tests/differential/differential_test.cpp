// Differential tests at modest sizes (full sizes: slow_test.cpp, label slow).
#include <gtest/gtest.h>

#include "parallel_diff.hpp"
#include "shlex_diff.hpp"
#include "subprocess_diff.hpp"

namespace {

using namespace concur::difftest;

TEST(ShlexVsPython, SplitAndQuoteAgreeOnThreeThousandRandomStrings) {
  for (const auto& d : compare_shlex_with_python(3000, 1701)) ADD_FAILURE() << d;
}

TEST(RunVsGnuParallel, PlaceholdersOutputAndJoblogAgreeOnThirtyValues) {
  if (!have_program("parallel")) GTEST_SKIP() << "GNU parallel is not installed";
  for (const auto& d : compare_run_with_parallel(30, 1703)) ADD_FAILURE() << d;
}

TEST(SubprocessRunVsPython, ReturnCodesAndCapturedBytesAgreeOnTheQuickTable) {
  for (const auto& d : compare_run_with_python(256 << 10, false)) ADD_FAILURE() << d;
}

}  // namespace
