// A fake GoogleTest binary (see fake_gtest.hpp): suite Math, with a disabled case and a
// parameterized one in GoogleTest's listing format.
#include "fake_gtest.hpp"

int main(int argc, char** argv) {
  return fake_gtest::main(argc, argv,
                          "Running main() from gtest_main.cc\n"
                          "Math.\n"
                          "  Adds\n"
                          "  Fails\n"
                          "  DISABLED_Overflows\n"
                          "Values/MathParam.  # TypeParam = int\n"
                          "  Squares/0  # GetParam() = 1\n"
                          "  Squares/1  # GetParam() = 2\n");
}
