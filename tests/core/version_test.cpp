#include <gtest/gtest.h>
#include <concur/concur.hpp>

#include <regex>
#include <string>

TEST(Version, IsSemanticVersion) {
  const std::string v{concur::version()};
  EXPECT_TRUE(std::regex_match(v, std::regex(R"(\d+\.\d+\.\d+)"))) << v;
}

TEST(Duration, ChronoDurationsConvertImplicitly) {
  using namespace std::chrono_literals;
  concur::Duration d = 250ms;
  EXPECT_DOUBLE_EQ(d.count(), 0.25);
}
