// concur/duration.hpp — the one duration type of concur's API.
//
// Every timeout in concur is a concur::Duration: seconds as a double, as Python
// spells them. Any std::chrono duration converts to it implicitly:
//
//   using namespace std::chrono_literals;
//   concur::subprocess::run({"sleep", "5"}, {.timeout = 250ms});
//
// Thread safety: a value type; no shared state.
#pragma once

#include <chrono>

namespace concur {

/// Seconds, as a double. `5s`, `250ms` and `std::chrono::minutes{2}` all convert implicitly.
using Duration = std::chrono::duration<double>;

}  // namespace concur
