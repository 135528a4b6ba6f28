// Fuzzes the duration parser (--timeout, --kill-after) and the --halt parser of concur run:
// either a value or UsageError; a duration is finite, >= 0 and fits the steady clock's
// nanosecond count (the scheduler converts it), a halt policy is in range.
#include <chrono>
#include <cmath>
#include <string>

#include "fuzz_support.hpp"
#include "run/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace concur::cli::run;
  const std::string text(concur::fuzz::as_text(data, size));
  try {
    const auto d = parse_duration(text, "--timeout");
    concur::fuzz::require(std::isfinite(d.count()) && d.count() >= 0,
                          "a duration is finite and >= 0");
    concur::fuzz::require(d.count() < 9.2e9, "a duration fits the clock's nanoseconds");
    (void)std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
  } catch (const UsageError&) {
  }
  try {
    const HaltPolicy h = parse_halt(text);
    if (h.fail_percent >= 0)
      concur::fuzz::require(h.fail_percent > 0 && h.fail_percent <= 100, "percent in (0, 100]");
    else if (h.when != HaltPolicy::When::never)
      concur::fuzz::require(h.fail_count >= 1, "fail count >= 1");
  } catch (const UsageError&) {
  }
  return 0;
}
