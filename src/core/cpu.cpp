// usable_cpu_count(): the CPUs this process may really use — the affinity mask (taskset, cpusets),
// limited by the cgroup v2 CPU quota of its cgroup or any ancestor (containers), because
// sizing a pool by the machine's CPU count oversubscribes both.
#include <sched.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "concur/detail/core/cpu.hpp"

namespace concur::detail {
namespace {

unsigned affinity_count() {
  for (int n = 1024; n <= 1 << 16; n *= 2) {
    cpu_set_t* set = CPU_ALLOC(n);
    if (set == nullptr) return 1;
    const std::size_t size = CPU_ALLOC_SIZE(n);
    CPU_ZERO_S(size, set);
    if (::sched_getaffinity(0, size, set) == 0) {
      const int count = CPU_COUNT_S(size, set);
      CPU_FREE(set);
      return count > 0 ? static_cast<unsigned>(count) : 1;
    }
    CPU_FREE(set);
    if (errno != EINVAL) break;
  }
  return 1;
}

// The cgroup v2 path in a /proc/<pid>/cgroup file ("0::/path"), or "" if none.
std::string cgroup_path(const std::string& proc_cgroup) {
  std::ifstream f(proc_cgroup);
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return {};
}

// ceil(quota / period) of one cpu.max file, or 0 if unlimited or unreadable.
unsigned quota_of(const std::string& file) {
  std::ifstream f(file);
  std::string quota;
  long long period = 0;
  if (!(f >> quota >> period) || quota == "max" || period <= 0) return 0;
  long long q = 0;
  try {
    q = std::stoll(quota);
  } catch (...) {
    return 0;
  }
  if (q <= 0) return 0;
  return static_cast<unsigned>((q + period - 1) / period);
}

}  // namespace

unsigned cpu_limit(unsigned cpus, const std::string& proc_cgroup, const std::string& root) {
  unsigned n = cpus;
  std::string path = cgroup_path(proc_cgroup);
  if (path.empty()) return n < 1 ? 1 : n;
  for (;;) {
    const std::string dir = root + (path == "/" ? std::string() : path);
    const unsigned q = quota_of(dir + "/cpu.max");
    if (q > 0 && q < n) n = q;
    if (path == "/") break;
    const auto slash = path.rfind('/');
    path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }
  return n < 1 ? 1 : n;
}

unsigned usable_cpu_count() noexcept {
  try {
    return cpu_limit(affinity_count(), "/proc/self/cgroup", "/sys/fs/cgroup");
  } catch (...) {  // allocation failure reading the files: the affinity count stands
    return affinity_count();
  }
}

}  // namespace concur::detail
