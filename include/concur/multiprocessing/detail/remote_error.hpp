// concur/multiprocessing/detail/remote_error.hpp — internal: a task's exception on the wire.
//
// The worker catches whatever the task threw and describes it as a WireError (a cereal
// struct: the type's mangled and demangled names, what(), and a std::system_error's code and
// category). The parent rebuilds it with rethrow(): the same type when it can (the standard
// exceptions, concur's, register_exception<E>()'s), RemoteError otherwise. Both processes run
// the same binary, so mangled names identify types exactly.
//
// Not part of the public API. Thread safety: thread-safe.
#pragma once

#include <string>

namespace concur::multiprocessing::detail {

struct WireError {
  std::string type;     // demangled, for RemoteError and messages
  std::string mangled;  // typeid(...).name(): the key to rebuild it
  std::string message;  // what(); empty for a non-std::exception
  bool system_error = false;
  int code = 0;          // std::system_error: code().value()
  std::string category;  // std::system_error: code().category().name()

  template <class Archive>
  void serialize(Archive& ar) {
    ar(type, mangled, message, system_error, code, category);
  }
};

/// Describes the exception being handled (call inside a catch block).
WireError describe_current_exception();

/// Throws the exception `e` describes: its own type if this process can rebuild it, else
/// RemoteError{type, message}.
[[noreturn]] void rethrow(const WireError& e);

/// "type: message" (or just the type), for logs.
std::string to_string(const WireError& e);

}  // namespace concur::multiprocessing::detail
