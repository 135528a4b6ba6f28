// What the sections share: the problem sizes and running a Python twin.
#include "sections.hpp"

namespace concur::cli::demo {

Sizes sizes_for(bool quick) {
  if (quick) {
    return {.ones = 100'000,
            .compute_steps = 200'000,
            .echo_runs = 10,
            .request_seconds = 0.05,
            .map_items = 1'000,
            .timeout_seconds = 0.2};
  }
  return {.ones = 10'000'000,
          .compute_steps = 10'000'000,
          .echo_runs = 100,
          .request_seconds = 0.2,
          .map_items = 100'000,
          .timeout_seconds = 0.5};
}

std::optional<TwinResult> Context::twin(std::string_view script,
                                        const std::vector<std::string>& args) {
  // A missing python3 was said once, at the start; a twin that fails is said where it fails.
  if (!python.available()) return std::nullopt;
  auto result = python.run(script, args);
  if (!result) report.note(python.last_error());
  return result;
}

}  // namespace concur::cli::demo
