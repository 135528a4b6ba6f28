// Shared bits of the subprocess tests.
#pragma once

#include <string>

#include "support/leak_check.hpp"

namespace concur::test {

/// Path of a helper program in tests/helpers.
inline std::string helper(const std::string& name) {
  return std::string(CONCUR_HELPER_DIR) + "/" + name;
}

}  // namespace concur::test
