// cpu_count() follows the affinity mask: run this very binary under `taskset -c 0`.
#include <gtest/gtest.h>

#include <sched.h>
#include <unistd.h>
#include "concur/detail/core/cpu.hpp"

#include <concur/multiprocessing.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace mp = concur::multiprocessing;

TEST(CpuCount, MatchesAffinityMask) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_LE(mp::cpu_count(), static_cast<unsigned>(CPU_COUNT(&set)));
  EXPECT_GE(mp::cpu_count(), 1u);
  if (const char* want = std::getenv("CONCUR_EXPECT_CPUS")) {
    EXPECT_EQ(mp::cpu_count(), static_cast<unsigned>(std::stoul(want)));
  }
}

TEST(CpuCount, IsOneUnderTaskset) {
  if (std::system("command -v taskset >/dev/null 2>&1") != 0) GTEST_SKIP() << "no taskset";
  std::string self(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  ASSERT_GT(n, 0);
  self.resize(static_cast<std::size_t>(n));
  const std::string cmd = "CONCUR_EXPECT_CPUS=1 taskset -c 0 '" + self +
                          "' --gtest_filter=CpuCount.MatchesAffinityMask >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

namespace {
struct FakeCgroup {
  std::string dir = "/tmp/concur-cgroup-" + std::to_string(::getpid());
  FakeCgroup() { std::filesystem::create_directories(dir + "/root/a/b"); }
  ~FakeCgroup() { std::filesystem::remove_all(dir); }
  void write(const std::string& rel, const std::string& text) const {
    std::ofstream(dir + "/" + rel) << text;
  }
};
}  // namespace

TEST(CpuCount, CgroupQuotaLimitsTheCount) {
  FakeCgroup g;
  g.write("cgroup", "1:cpu:/\n0::/a/b\n");
  g.write("root/a/b/cpu.max", "max 100000\n");
  EXPECT_EQ(concur::detail::cpu_limit(8, g.dir + "/cgroup", g.dir + "/root"), 8u);
  g.write("root/a/cpu.max", "250000 100000\n");  // an ancestor's quota counts: ceil(2.5) = 3
  EXPECT_EQ(concur::detail::cpu_limit(8, g.dir + "/cgroup", g.dir + "/root"), 3u);
  g.write("root/a/b/cpu.max", "50000 100000\n");  // half a CPU is still one
  EXPECT_EQ(concur::detail::cpu_limit(8, g.dir + "/cgroup", g.dir + "/root"), 1u);
  EXPECT_EQ(concur::detail::cpu_limit(2, g.dir + "/cgroup", g.dir + "/root"), 1u);
  g.write("cgroup", "1:cpu:/\n");  // cgroup v1 only: the affinity count stands
  EXPECT_EQ(concur::detail::cpu_limit(8, g.dir + "/cgroup", g.dir + "/root"), 8u);
}
