// concur/multiprocessing/errors.hpp — start methods, cpu_count() and the exceptions of
// concur::multiprocessing.
//
//   try { pool.map(f, items); }
//   catch (const concur::multiprocessing::RemoteError& e) { std::cerr << e.type << ": " <<
//   e.message; } catch (const concur::multiprocessing::WorkerCrashed& e) { std::cerr << e.exitcode;
//   }  // -9: SIGKILL
//
// Thread safety: set_start_method() must be called while the program is single-threaded
// (early in main); cpu_count() is thread-safe.
#pragma once

#include <stdexcept>
#include <string>

namespace concur::multiprocessing {

/// How workers and processes are started.
/// - fork: the worker is fork()ed from the calling process (default; fastest).
/// - forkserver: a clean single-threaded server, forked by set_start_method() early in main,
///   forks the workers; safe when the program later has busy threads or held locks.
/// - spawn: not implemented; asking for it throws std::invalid_argument.
enum class StartMethod { fork, forkserver, spawn };

/// Sets the start method of Process and of pools whose PoolOptions keep the default.
/// StartMethod::forkserver forks the server now: call it early in main, while single-threaded.
/// Throws std::invalid_argument for StartMethod::spawn, std::system_error if the server cannot
/// be started. Calling it again with the same method is a no-op.
void set_start_method(StartMethod method);

/// The start method set by set_start_method() (StartMethod::fork if never called).
StartMethod get_start_method();

/// The number of CPUs this process may use: the size of its affinity mask
/// (sched_getaffinity), limited by a cgroup v2 `cpu.max` quota (ceil(quota / period)) of its
/// cgroup or an ancestor. At least 1. Never throws.
unsigned cpu_count();

/// Base of every error of this module.
struct ProcessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A worker died while running a task (a signal, _exit(), the OOM killer). Only that task
/// fails; the pool replaces the worker and goes on. `exitcode` as Process::exitcode():
/// negative N for signal N.
struct WorkerCrashed : ProcessError {
  WorkerCrashed(const std::string& what, int code) : ProcessError(what), exitcode(code) {}
  int exitcode;
};

/// A task threw in the worker: `type` is the demangled type name of the exception, `message`
/// its what() (empty if it was not a std::exception).
struct RemoteError : ProcessError {
  RemoteError(std::string t, std::string m)
      : ProcessError(t + ": " + m), type(std::move(t)), message(std::move(m)) {}
  std::string type, message;
};

/// AsyncResult::get() with a timeout that passed before the result was ready (Python's
/// multiprocessing.TimeoutError). The task keeps running; get() may be called again.
struct TimeoutError : ProcessError {
  using ProcessError::ProcessError;
};

}  // namespace concur::multiprocessing
