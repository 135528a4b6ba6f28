// Fuzzes concur run's placeholder templates (apps/concur/run/template.*): compile() of any
// text either succeeds or throws UsageError; expand() of any values never fails; with
// quoting, a lone placeholder expands to exactly one shell word holding the value.
#include <concur/shlex.hpp>

#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "run/options.hpp"
#include "run/template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace concur::cli::run;
  if (size < 2) return 0;
  const std::size_t groups = 1 + data[0] % 4;
  const int slot = 1 + data[1] % 8;
  auto parts = concur::fuzz::split_nul(concur::fuzz::as_text(data + 2, size - 2));
  const std::string text = parts.front();
  std::vector<std::string> values(parts.begin() + 1, parts.end());
  values.resize(groups);
  for (const auto& v : values) {
    (void)strip_extension(v);
    (void)base_name(v);
    (void)dir_name(v);
    concur::fuzz::require(
        concur::shlex::split(concur::shlex::quote(v)) == std::vector<std::string>{v},
        "quote(v) is one word v");
  }
  concur::fuzz::require(concur::shlex::split(concur::shlex::join(values)) == values,
                        "split(join(v)) == v");
  try {
    const auto t = Template::compile(text, groups);
    (void)t.expand(values, 7, slot, false);
    (void)t.expand(values, 7, slot, true);
  } catch (const UsageError&) {
  }
  for (std::size_t g = 1; g <= groups; ++g) {
    for (const char* form : {"", ".", "/", "//", "/."}) {
      const auto t = Template::compile("{" + std::to_string(g) + form + "}", groups);
      const auto quoted = t.expand(values, 1, slot, true);
      concur::fuzz::require(concur::shlex::split(quoted) ==
                                std::vector<std::string>{t.expand(values, 1, slot, false)},
                            "a quoted placeholder is one shell word holding its value");
    }
  }
  return 0;
}
