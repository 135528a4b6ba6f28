// errno to exception, in one place (concur/detail/core/error.hpp).
#include "concur/detail/core/error.hpp"

#include <cerrno>

namespace concur::detail {

void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

void throw_errno(const std::string& what) { throw_errno(errno, what); }

}  // namespace concur::detail
