// Test support for the futures tests: futures already in a given state, made without an executor.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

#include "concur/futures.hpp"

namespace concur::test {

/// A future finished with `v`.
inline futures::Future<int> finished(int v) {
  futures::Future<int> f;
  f.set_result(v);
  return f;
}

/// A future finished with a std::runtime_error(`what`).
inline futures::Future<int> failed(const std::string& what = "failed") {
  futures::Future<int> f;
  f.set_exception(std::make_exception_ptr(std::runtime_error(what)));
  return f;
}

/// A future cancelled while pending.
inline futures::Future<int> cancelled() {
  futures::Future<int> f;
  f.cancel();
  return f;
}

}  // namespace concur::test
