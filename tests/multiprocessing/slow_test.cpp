// Slow cases (label "slow"): large transfers.
#include <gtest/gtest.h>

#include <concur/multiprocessing.hpp>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

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

TEST_F(PoolSlow, A64MiBArgumentAndResultRoundTrip) {
  mp::Pool pool(1);
  std::vector<std::int64_t> big(8u << 20);  // 64 MiB
  std::iota(big.begin(), big.end(), 0);
  auto back = pool.apply(
      +[](std::vector<std::int64_t> v) {
        for (auto& x : v) x = -x;
        return v;
      },
      big);
  ASSERT_EQ(back.size(), big.size());
  EXPECT_EQ(back[12345], -12345);
  EXPECT_EQ(back.back(), -static_cast<std::int64_t>(big.size() - 1));
}
