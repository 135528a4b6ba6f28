// concur/detail/core/cpu.hpp — the one usable-CPU count of concur.
//
// Internal; the public spelling is concur::multiprocessing::cpu_count(). Used for every default
// pool size (ThreadPoolExecutor(), Pool(), `concur run -j`): the affinity mask (taskset,
// cpusets), limited by the cgroup v2 `cpu.max` quota of this process's cgroup or any ancestor
// (ceil(quota / period)), since sizing by the machine's CPUs oversubscribes a container.
//
//   unsigned n = concur::detail::usable_cpu_count();
//
// Thread safety: thread-safe; never throws.
#pragma once

#include <string>

namespace concur::detail {

/// CPUs this process may use: affinity mask and cgroup v2 quota. At least 1. Never throws.
unsigned usable_cpu_count() noexcept;

/// `cpus` limited by the cpu.max quotas along the cgroup v2 path read from `proc_cgroup`
/// (a /proc/PID/cgroup file) under `root` (normally /sys/fs/cgroup). At least 1. For tests.
unsigned cpu_limit(unsigned cpus, const std::string& proc_cgroup, const std::string& root);

}  // namespace concur::detail
