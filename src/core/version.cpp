#include "concur/version.hpp"

#include "core/version_config.hpp"

namespace concur {

std::string_view version() noexcept { return CONCUR_VERSION_STRING; }

}  // namespace concur
