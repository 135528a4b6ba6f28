// concur run: how a finished test's outcome is decided when its suite says more than "exit
// status 0 passes" — ctest's WILL_FAIL, SKIP_RETURN_CODE, PASS_REGULAR_EXPRESSION,
// FAIL_REGULAR_EXPRESSION, SKIP_REGULAR_EXPRESSION and REQUIRED_FILES, with ctest's rules
// (checked against ctest 3.25): the output (stdout and stderr) is searched first; a skip
// (return code or regex) wins; a pass regex replaces the exit status; WILL_FAIL inverts
// the result of a process that exited (a signal or a timeout is a failure whatever it says).
//
//   PassRules rules;
//   rules.skip_regex = {R"(\[  SKIPPED \])"};      // as gtest_discover_tests() sets it
//   check_rules(rules, "Suite.Case");               // throws std::invalid_argument: bad regex
//   Verdict v = judge(rules, /*returncode=*/0, "[  SKIPPED ] Suite.Case\n");
//   v.outcome == Outcome::skipped; v.reason == "skip regular expression found in output"
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace concur::cli::run {

struct PassRules {
  bool will_fail = false;
  std::optional<int> skip_return_code = {};
  // ECMAScript, searched per line (= {}: designated initializers may leave any out)
  std::vector<std::string> pass_regex = {}, fail_regex = {}, skip_regex = {};
  std::vector<std::string> required_files = {};
  /// Whether judge() needs the job's output.
  bool needs_output() const {
    return !pass_regex.empty() || !fail_regex.empty() || !skip_regex.empty();
  }
  /// Whether the default rule (exit status 0 passes) is all there is.
  bool trivial() const {
    return !will_fail && !skip_return_code && !needs_output() && required_files.empty();
  }
};

struct Verdict {
  Outcome outcome = Outcome::passed;  // passed, failed or skipped
  std::string reason;                 // why, when it is not the exit status alone
};

/// Throws std::invalid_argument naming `test` and the first regex that does not compile.
void check_rules(const PassRules& rules, const std::string& test);

/// The outcome of a test whose process ended with `returncode` (negative N: killed by
/// signal N), given its stdout and stderr together in `output`.
Verdict judge(const PassRules& rules, int returncode, std::string_view output);

/// The first of rules.required_files that does not exist (relative ones looked up in
/// `cwd`), or nullopt.
std::optional<std::string> missing_required_file(const PassRules& rules,
                                                 const std::optional<std::string>& cwd);

}  // namespace concur::cli::run
