// The main of the spawn tests: freeze_support() first, as every program that uses
// StartMethod::spawn must — in a spawned worker it runs the worker loop and never returns.
#include <gtest/gtest.h>

#include <concur/multiprocessing.hpp>

int main(int argc, char** argv) {
  concur::multiprocessing::freeze_support(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
