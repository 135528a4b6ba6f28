// Fuzzes concur::shlex: split() on arbitrary bytes either returns words or throws one of its
// two documented errors; for arbitrary words (the input cut at NULs) split(join(v)) == v and
// split(quote(w)) == {w}.
#include <concur/shlex.hpp>

#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace concur;
  const auto text = fuzz::as_text(data, size);
  try {
    const auto words = shlex::split(text);
    fuzz::require(shlex::split(shlex::join(words)) == words, "split(join(split(s))) == split(s)");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    fuzz::require(what == "No closing quotation" || what == "No escaped character",
                  "split() throws only its documented errors");
  }
  const auto words = fuzz::split_nul(text);
  fuzz::require(shlex::split(shlex::join(words)) == words, "split(join(v)) == v");
  for (const auto& w : words)
    fuzz::require(shlex::split(shlex::quote(w)) == std::vector<std::string>{w},
                  "split(quote(w)) == {w}");
  return 0;
}
