// random_u64(): the kernel's random bits (see random.hpp for why not std::random_device).
#include "concur/detail/core/random.hpp"

#include <sys/random.h>

#include <cerrno>

#include "concur/detail/core/error.hpp"

namespace concur::detail {

std::uint64_t random_u64() {
  std::uint64_t n = 0;
  for (;;) {
    const ssize_t r = ::getrandom(&n, sizeof n, 0);
    if (r == static_cast<ssize_t>(sizeof n)) return n;  // up to 256 bytes never come back short
    if (r < 0 && errno != EINTR) throw_errno("concur: getrandom");
  }
}

}  // namespace concur::detail
