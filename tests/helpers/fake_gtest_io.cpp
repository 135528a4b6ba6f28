// A fake GoogleTest binary (see fake_gtest.hpp): suite Io, whose cases are flaky, leak a
// process, take a while or alternate between failing and passing.
#include "fake_gtest.hpp"

int main(int argc, char** argv) {
  return fake_gtest::main(argc, argv,
                          "Io.\n"
                          "  Passes\n"
                          "  Flaky\n"
                          "  Leaks\n"
                          "  Slow\n"
                          "  Alternates\n");
}
