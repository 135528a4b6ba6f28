// concur/version.hpp — the version of the concur library this program was built against.
//
//   std::cout << concur::version();   // "0.2.0"
//
// Thread safety: pure functions; safe from any thread.
#pragma once

#include <string_view>

namespace concur {

/// The library's version, "MAJOR.MINOR.PATCH". Never throws.
std::string_view version() noexcept;

}  // namespace concur
