// concur/multiprocessing/start_method.hpp — how worker processes start, and cpu_count().
//
//   int main() {
//     concur::multiprocessing::set_start_method(concur::multiprocessing::StartMethod::forkserver);
//     ...   // threads may start now: workers come from the clean server
//   }
//
// Thread safety: set_start_method() must be called while the program is single-threaded
// (early in main); the others are thread-safe.
#pragma once

#include <vector>

namespace concur::multiprocessing {

/// How workers and processes are started.
/// - fork: the worker is fork()ed from the calling process (default; fastest).
/// - forkserver: a clean single-threaded server, forked by set_start_method() early in main,
///   forks the workers; safe when the program later has busy threads or held locks.
/// - spawn: a fresh exec of the program (see freeze_support), where implemented.
enum class StartMethod { fork, forkserver, spawn };

/// Sets the start method of Process and of pools whose PoolOptions keep the default.
/// StartMethod::forkserver forks the server now: call it early in main, while single-threaded.
/// Throws std::invalid_argument for a method this build cannot use, std::system_error if the
/// server cannot be started. Calling it again with the same method is a no-op.
void set_start_method(StartMethod method);

/// The start method set by set_start_method() (StartMethod::fork if never called).
StartMethod get_start_method();

/// The start methods this build supports, the default first.
std::vector<StartMethod> get_all_start_methods();

/// The number of CPUs this process may use: the size of its affinity mask
/// (sched_getaffinity), limited by a cgroup v2 `cpu.max` quota (ceil(quota / period)) of its
/// cgroup or an ancestor. At least 1. Never throws.
unsigned cpu_count();

}  // namespace concur::multiprocessing
