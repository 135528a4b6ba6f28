// concur/futures/errors.hpp — the exceptions of concur::futures (Python's concurrent.futures).
//
//   try { fut.result(1s); }
//   catch (const concur::futures::CancelledError&) { ... }   // cancel() won, or
//   shutdown(cancel_futures) catch (const concur::TimeoutError&) { ... }               // not done
//   within 1 s
//
// Thread safety: exception types; no shared state.
#pragma once

#include <stdexcept>
#include <string>

#include "concur/errors.hpp"

namespace concur::futures {

/// result()/exception() of a cancelled future (Python's CancelledError).
struct CancelledError : std::runtime_error {
  /// `what` is the message what() returns.
  explicit CancelledError(const std::string& what = "concur::futures: the future was cancelled")
      : std::runtime_error(what) {}
};

/// set_result()/set_exception() on a future that is already done, or on one that an executor
/// completes (Python's InvalidStateError).
struct InvalidStateError : std::logic_error {
  /// `what` names the call and the state it found.
  explicit InvalidStateError(const std::string& what) : std::logic_error(what) {}
};

/// The one timeout type of concur (Python's TimeoutError; concurrent.futures.TimeoutError is an
/// alias of it since 3.11).
using TimeoutError = concur::TimeoutError;

/// An executor's initializer failed: the pool refuses new work, and work it had not started
/// fails with this error.
struct BrokenExecutor : std::runtime_error {
  /// `what` says why the executor broke.
  explicit BrokenExecutor(const std::string& what) : std::runtime_error(what) {}
};
/// A ThreadPoolExecutor whose initializer threw.
struct BrokenThreadPool : BrokenExecutor {
  /// `what` says why the pool broke (the initializer's error).
  explicit BrokenThreadPool(const std::string& what) : BrokenExecutor(what) {}
};
/// A ProcessPoolExecutor whose workers cannot run (an initializer failed in a worker, or no
/// spawned worker reached freeze_support()).
struct BrokenProcessPool : BrokenExecutor {
  /// `what` says why the pool broke.
  explicit BrokenProcessPool(const std::string& what) : BrokenExecutor(what) {}
};

}  // namespace concur::futures
