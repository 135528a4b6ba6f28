// Test support: the errno a call fails with, as the code of the std::system_error it throws.
#pragma once

#include <functional>
#include <system_error>

namespace concur::test {

/// The error code value of the std::system_error `f` throws; 0 when it returns normally.
inline int error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return e.code().value();
  }
  return 0;
}

}  // namespace concur::test
