// concur/errors.hpp — the exceptions shared by every concur module.
//
// concur::TimeoutError is the one timeout type of the library, as Python's builtin
// TimeoutError (concurrent.futures.TimeoutError and multiprocessing.TimeoutError are aliases of
// it since Python 3.11). futures::TimeoutError and multiprocessing::TimeoutError name this type.
//
//   try { fut.result(1s); } catch (const concur::TimeoutError& e) { ... }
//
// Thread safety: exception types; no shared state.
#pragma once

#include <stdexcept>
#include <string>

namespace concur {

/// A wait ended at its deadline with the awaited thing not ready. Derives std::runtime_error.
struct TimeoutError : std::runtime_error {
  /// `what` names what timed out.
  explicit TimeoutError(const std::string& what = "timed out") : std::runtime_error(what) {}
};

}  // namespace concur
