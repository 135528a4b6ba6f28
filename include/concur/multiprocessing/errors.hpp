// concur/multiprocessing/errors.hpp — the exceptions of concur::multiprocessing.
//
//   try { pool.map(f, items); }
//   catch (const std::out_of_range& e) { ... }                  // the task's own type, rebuilt
//   catch (const concur::multiprocessing::RemoteError& e) { std::cerr << e.type << ": " <<
//   e.message; } catch (const concur::multiprocessing::WorkerCrashed& e) { std::cerr << e.exitcode;
//   }  // -9: SIGKILL
//
// A task's exception comes back as its own type when this process can rebuild it: the standard
// exceptions (std::logic_error, invalid_argument, domain_error, length_error, out_of_range,
// runtime_error, range_error, overflow_error, underflow_error, system_error with its code and
// category, bad_alloc, bad_cast, ...), concur::TimeoutError, ProcessError, and the types named
// by register_exception<E>(). Anything else is a RemoteError{type, message}.
//
// Thread safety: register_exception() is thread-safe; the types are plain exceptions.
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>

#include "concur/errors.hpp"

namespace concur::multiprocessing {

/// Base of every error of this module.
struct ProcessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A worker died while running a task (a signal, _exit(), the OOM killer). Only that task
/// fails; the pool replaces the worker and goes on. `exitcode` as Process::exitcode():
/// negative N for signal N.
struct WorkerCrashed : ProcessError {
  /// `what` says which task and worker; `code` is the worker's exit code.
  WorkerCrashed(const std::string& what, int code) : ProcessError(what), exitcode(code) {}
  /// The dead worker's exit code: negative N for signal N.
  int exitcode;
};

/// A task threw a type this process cannot rebuild: `type` is its demangled name, `message`
/// its what() (empty if it was not a std::exception).
struct RemoteError : ProcessError {
  /// what() is "type: message".
  RemoteError(std::string t, std::string m)
      : ProcessError(t + ": " + m), type(std::move(t)), message(std::move(m)) {}
  /// The demangled name of the type the task threw.
  std::string type;
  /// Its what() (empty if it was not a std::exception).
  std::string message;
};

/// Python's multiprocessing.TimeoutError: the library's one timeout type.
using TimeoutError = concur::TimeoutError;

namespace detail {
/// Registers how to rebuild exceptions of dynamic type `type` from their message.
void register_rebuilder(const std::type_info& type, void (*rethrow)(const std::string& message));
}  // namespace detail

/// Makes a task's exception of exact type E come back as E (built from its what()), instead of
/// RemoteError. E must be constructible from a std::string. Call it before the tasks fail
/// (early in main); registering twice is harmless.
///
///   struct ParseError : std::runtime_error { using std::runtime_error::runtime_error; };
///   concur::multiprocessing::register_exception<ParseError>();
template <class E>
void register_exception() {
  static_assert(std::is_constructible_v<E, std::string>,
                "register_exception<E>: E must be constructible from a std::string");
  detail::register_rebuilder(typeid(E), [](const std::string& message) { throw E(message); });
}

}  // namespace concur::multiprocessing
