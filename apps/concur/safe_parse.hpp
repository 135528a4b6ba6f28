// CLI11's parse with its one leak closed: a flag given a huge number
// (`--quick=99999999999999999999`) makes CLI11 2.3 call std::stoll, whose std::out_of_range (or
// std::invalid_argument) escapes App::parse instead of a CLI::ParseError. safe_parse turns those
// into CLI::ConversionError, so every caller's one `catch (const CLI::ParseError&)` reports bad
// usage and nothing terminates.
//
//   std::vector<std::string> reversed(args.rbegin(), args.rend());
//   concur::cli::safe_parse(app, reversed);  // throws only CLI::ParseError (and its kin)
//
// Thread safety: as CLI::App::parse (one App per thread).
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>
#include <vector>

namespace concur::cli {

namespace detail {
// The argument CLI11 choked on: the first `--flag=N` whose N is an integer a long long cannot hold.
inline std::string culprit(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    const auto eq = a.find('=');
    if (a.size() < 2 || a[0] != '-' || eq == std::string::npos) continue;
    const std::string value = a.substr(eq + 1);
    long long n = 0;
    const char* first = value.data() + (value.starts_with('+') ? 1 : 0);
    const auto [end, ec] = std::from_chars(first, value.data() + value.size(), n);
    if (ec == std::errc::result_out_of_range)
      return "option '" + a.substr(0, eq) + "': '" + value + "' is out of range";
  }
  return "a value is out of range";
}

template <typename Parse>
void rethrow_conversion(const std::vector<std::string>& args, Parse&& parse) {
  try {
    parse();
  } catch (const std::out_of_range&) {
    throw CLI::ConversionError(culprit(args));
  } catch (const std::invalid_argument& e) {
    throw CLI::ConversionError(std::string("a value is not valid (") + e.what() + ")");
  }
}
}  // namespace detail

/// Parses `reversed` (CLI11's order: the last argument first); throws CLI::ParseError subclasses.
inline void safe_parse(CLI::App& app, std::vector<std::string>& reversed) {
  const std::vector<std::string> given = reversed;  // CLI11 consumes `reversed` as it parses
  detail::rethrow_conversion(given, [&] { app.parse(reversed); });
}

/// Parses main()'s arguments; throws CLI::ParseError subclasses.
inline void safe_parse(CLI::App& app, int argc, const char* const* argv) {
  detail::rethrow_conversion(std::vector<std::string>(argv + std::min(argc, 1), argv + argc),
                             [&] { app.parse(argc, argv); });
}

}  // namespace concur::cli
