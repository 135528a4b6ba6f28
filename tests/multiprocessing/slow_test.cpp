// Slow cases (label "slow"): large transfers.
#include <gtest/gtest.h>

#include <concur/multiprocessing.hpp>
#include <string>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;

namespace {
class PoolSlow : public concur::test::NoLeakTest {};
}  // namespace

TEST_F(PoolSlow, TwoHundredMebibyteResultArrivesWhole) {
  mp::Pool pool(1);
  auto r =
      pool.apply_async([](std::size_t n) { return std::string(n, 'x'); }, std::size_t{200} << 20);
  const std::string s = r.get();
  ASSERT_EQ(s.size(), std::size_t{200} << 20);
  EXPECT_EQ(s.front(), 'x');
  EXPECT_EQ(s.back(), 'x');
}
