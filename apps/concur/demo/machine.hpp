// What limits parallel speed-up on this machine, in words, for the demo's honest notes.
//
//   report.result(machine_summary());   // "2 CPUs usable; CPUs 0 and 1 are hyper-threads of one
//   core"
//
// Reads Linux's sysfs (cpu topology) and the affinity mask; says "unknown" where they are missing.
// Thread safety: pure functions (they read files).
#pragma once

#include <string>

namespace concur::cli::demo {

/// CPUs this process may run on (the affinity mask).
unsigned usable_cpus();
/// True when every usable CPU is a hardware thread of one physical core (SMT siblings).
bool cpus_share_one_core();
/// One line: how many CPUs, and whether they share a core.
std::string machine_summary();
/// The 1-minute load average (/proc/loadavg), or a negative number when unknown.
double load_average();
/// "" when the machine is idle enough; else a sentence saying other work competes for the CPUs.
std::string busy_note();

}  // namespace concur::cli::demo
