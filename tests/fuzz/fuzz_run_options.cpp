// Fuzzes `concur run`'s command-line parser (apps/concur/run/options.*): any argument list
// (the input cut at NULs) parses or throws UsageError, never anything else; a parsed
// command line is consistent (durations finite and positive, counts in range).
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "run/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace concur::cli::run;
  const auto args = concur::fuzz::split_nul(concur::fuzz::as_text(data, size));
  std::vector<std::string> with_name{"run"};
  with_name.insert(with_name.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : with_name) argv.push_back(a.data());
  argv.push_back(nullptr);
  try {
    const Options o = parse_options(static_cast<int>(with_name.size()), argv.data());
    if (o.help) return 0;
    if (o.timeout)
      concur::fuzz::require(
          std::isfinite(o.timeout->count()) && o.timeout->count() > 0 && o.timeout->count() < 9e9,
          "--timeout is a positive duration a clock can hold");
    concur::fuzz::require(std::isfinite(o.kill_after.count()) && o.kill_after.count() >= 0 &&
                              o.kill_after.count() < 9e9,
                          "--kill-after is a duration a clock can hold");
    concur::fuzz::require(!o.jobs || *o.jobs >= 0, "--jobs >= 0");
    concur::fuzz::require(o.retries >= 0, "--retries >= 0");
    concur::fuzz::require(
        !o.command.empty() || !o.groups.empty() || o.jobs_file.has_value() || o.discovers(),
        "something to run");
    for (const auto& g : o.groups) concur::fuzz::require(!g.empty(), "no empty ::: group");
  } catch (const UsageError&) {
  }
  return 0;
}
