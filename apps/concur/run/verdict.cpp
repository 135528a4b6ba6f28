// Why ECMAScript regexes: ctest's own (cmsys::RegularExpression) is the classic Henry Spencer
// syntax, which ECMAScript covers for what suites write ("\[  SKIPPED \]", "^ok", "a|b");
// libstdc++'s POSIX extended mode rejects the escaped bracket gtest_discover_tests() writes.
// Each regex is searched line by line (so ^ and $ anchor at every line, where ctest anchors
// at the whole output's ends): libstdc++'s matcher recurses per character, and one long
// output must not overflow the stack.
#include "verdict.hpp"

#include <filesystem>
#include <regex>
#include <stdexcept>

namespace concur::cli::run {
namespace {

std::regex compile(const std::string& pattern) {
  return std::regex(pattern, std::regex::ECMAScript | std::regex::nosubs);
}

bool found(const std::vector<std::string>& patterns, std::string_view output) {
  for (const auto& p : patterns) {
    const std::regex re = compile(p);
    std::size_t start = 0;
    while (start < output.size()) {
      auto end = output.find('\n', start);
      if (end == std::string_view::npos) end = output.size();
      if (std::regex_search(output.begin() + static_cast<std::ptrdiff_t>(start),
                            output.begin() + static_cast<std::ptrdiff_t>(end), re))
        return true;
      start = end + 1;
    }
  }
  return false;
}

}  // namespace

void check_rules(const PassRules& rules, const std::string& test) {
  for (const auto* list : {&rules.pass_regex, &rules.fail_regex, &rules.skip_regex})
    for (const auto& p : *list) {
      try {
        compile(p);
      } catch (const std::regex_error& e) {
        throw std::invalid_argument("test '" + test + "': bad regular expression '" + p +
                                    "': " + e.what());
      }
    }
}

Verdict judge(const PassRules& rules, int returncode, std::string_view output) {
  std::string reason;
  bool force_fail = false, force_skip = false;
  if (!rules.pass_regex.empty() && !found(rules.pass_regex, output)) {
    reason = "required regular expression not found in output";
    force_fail = true;
  }
  if (found(rules.fail_regex, output)) {
    reason = "failure regular expression found in output";
    force_fail = true;
  }
  if (found(rules.skip_regex, output)) {
    reason = "skip regular expression found in output";
    force_skip = true;
  }
  if (returncode < 0) return {Outcome::failed, {}};  // a signal: ctest's "Exception"
  if (force_skip) return {Outcome::skipped, reason};
  if (rules.skip_return_code && *rules.skip_return_code == returncode)
    return {Outcome::skipped, "SKIP_RETURN_CODE=" + std::to_string(returncode)};
  const bool success = !force_fail && (returncode == 0 || !rules.pass_regex.empty());
  if (success != rules.will_fail) return {Outcome::passed, {}};
  if (rules.will_fail && reason.empty()) reason = "WILL_FAIL: expected to fail";
  return {Outcome::failed, reason};
}

std::optional<std::string> missing_required_file(const PassRules& rules,
                                                 const std::optional<std::string>& cwd) {
  namespace fs = std::filesystem;
  for (const auto& f : rules.required_files) {
    fs::path p(f);
    if (p.is_relative() && cwd) p = fs::path(*cwd) / p;
    std::error_code ec;
    if (!fs::exists(p, ec)) return f;
  }
  return std::nullopt;
}

}  // namespace concur::cli::run
