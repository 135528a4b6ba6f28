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
/// - spawn: each worker is a fresh exec of this program (/proc/self/exe, the same argv) that
///   becomes a worker in freeze_support(), which main() must call first. Safe whatever threads
///   and locks the program has (nothing is forked); functions travel as offsets in the program
///   image (or in a shared library), so ASLR is no obstacle. Slower to start (an exec each).
enum class StartMethod { fork, forkserver, spawn };

/// Sets the start method of Process and of pools whose PoolOptions keep the default.
/// StartMethod::forkserver forks the server now: call it early in main, while single-threaded.
/// StartMethod::spawn needs freeze_support() first in main (see there).
/// Throws std::invalid_argument for a method this build cannot use, std::system_error if the
/// server cannot be started. Calling it again with the same method is a no-op.
void set_start_method(StartMethod method);

/// The start method set by set_start_method() (StartMethod::fork if never called).
StartMethod get_start_method();

/// The start methods this build supports, the default first (Python's order on Linux:
/// fork, spawn, forkserver).
std::vector<StartMethod> get_all_start_methods();

/// First line of main() in a program that uses StartMethod::spawn (Python's freeze_support,
/// and `if __name__ == "__main__":` in one):
///
///   int main(int argc, char** argv) {
///     concur::multiprocessing::freeze_support(argc, argv);
///     ...
///   }
///
/// In a spawned worker it runs the worker loop and never returns (the process exits when its
/// parent is done with it, or dies). Anywhere else it returns at once, recording that it was
/// called: StartMethod::spawn refuses to start workers (ProcessError) in a program that never
/// called it, and a spawned child whose main() goes on without it exits instead of starting
/// workers of its own — the pool then fails with an error naming freeze_support, never a hang
/// or a fork bomb. Never throws.
void freeze_support(int argc, char** argv);

/// The number of CPUs this process may use: the size of its affinity mask
/// (sched_getaffinity), limited by a cgroup v2 `cpu.max` quota (ceil(quota / period)) of its
/// cgroup or an ancestor. At least 1. Never throws.
unsigned cpu_count();

}  // namespace concur::multiprocessing
