// Fuzzes `concur demo`'s command-line parser (apps/concur/demo/options.*): any argument list
// (the input cut at NULs) parses or throws CLI::ParseError, never anything else; a parsed
// command line names only known sections.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "demo/options.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace concur::cli::demo;
  const auto args = concur::fuzz::split_nul(concur::fuzz::as_text(data, size));
  try {
    const DemoOptions o = parse_demo_options(args);
    if (o.help) return 0;
    for (const auto& s : o.sections) concur::fuzz::require(known_section(s), "known --section");
    for (const auto name : kSectionNames)
      concur::fuzz::require(
          wanted(o, name) == (o.sections.empty() || std::find(o.sections.begin(), o.sections.end(),
                                                              name) != o.sections.end()),
          "wanted() follows --section");
  } catch (const CLI::ParseError&) {
  }
  return 0;
}
