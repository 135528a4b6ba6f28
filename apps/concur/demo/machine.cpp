// Machine facts for the demo's notes: the usable CPUs (affinity and cgroup quota, from the
// core), the affinity mask's topology from sysfs.
#include "machine.hpp"

#include <concur/detail/core/cpu.hpp>

#include <fmt/format.h>
#include <sched.h>

#include <fstream>
#include <set>
#include <string>

namespace concur::cli::demo {

namespace {

std::set<int> allowed_cpus() {
  std::set<int> cpus;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof mask, &mask) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cpus.insert(cpu);
  }
  return cpus;
}

// The physical core a CPU belongs to: "<package>:<core_id>", or "" when sysfs says nothing.
std::string core_of(int cpu) {
  const std::string base = fmt::format("/sys/devices/system/cpu/cpu{}/topology/", cpu);
  std::ifstream package(base + "physical_package_id"), core(base + "core_id");
  std::string p, c;
  if (!(package >> p) || !(core >> c)) return {};
  return p + ":" + c;
}

}  // namespace

unsigned usable_cpus() { return concur::detail::usable_cpu_count(); }

bool cpus_share_one_core() {
  const auto cpus = allowed_cpus();
  if (cpus.size() < 2) return false;
  std::set<std::string> cores;
  for (const int cpu : cpus) {
    const std::string core = core_of(cpu);
    if (core.empty()) return false;
    cores.insert(core);
  }
  return cores.size() == 1;
}

std::string machine_summary() {
  const unsigned cpus = usable_cpus();
  std::string text = fmt::format("this machine: {} usable CPU{}", cpus, cpus == 1 ? "" : "s");
  if (cpus_share_one_core()) {
    text += ", all hardware threads (hyper-threads) of ONE physical core";
  }
  return text;
}

double load_average() {
  std::ifstream loadavg("/proc/loadavg");
  double one_minute = -1;
  if (!(loadavg >> one_minute)) return -1;
  return one_minute;
}

std::string busy_note() {
  const double load = load_average();
  const unsigned cpus = usable_cpus();
  // The demo's own threads add up to about one runnable task: more than that is someone else.
  if (load < 0 || load < static_cast<double>(cpus) + 0.5) return {};
  return fmt::format(
      "Other programs are busy on this machine (load average {:.1f} on {} CPU{}), so speed-ups "
      "come out lower than on an idle one",
      load, cpus, cpus == 1 ? "" : "s");
}

}  // namespace concur::cli::demo
