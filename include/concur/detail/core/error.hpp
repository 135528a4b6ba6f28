// concur/detail/core/error.hpp — errno to exception, in one place.
//
// Internal; not part of the API. OS failures become std::system_error whose message names the
// call (and, where the caller passes it, the object: a program, a path).
//
//   if (::pipe2(fds, O_CLOEXEC) != 0) concur::detail::throw_errno("pipe2");
//
// Thread safety: thread-safe (reads the calling thread's errno).
#pragma once

#include <string>
#include <system_error>

namespace concur::detail {

/// Throws std::system_error(err, generic_category(), what).
[[noreturn]] void throw_errno(int err, const std::string& what);
/// Throws std::system_error(errno, generic_category(), what).
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace concur::detail
