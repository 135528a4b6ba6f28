// Runs the Python twin of a timed experiment: the lecture's own code, embedded in the binary
// (python/<name>.py), through concur::subprocess as `python3 -c CODE ARGS...`.
//
//   PythonTwins python;                                   // looks python3 up on PATH, once
//   if (auto twin = python.run("queue_sum", {"10000000", "2"})) use(twin->seconds);
//   else report.note(python.last_error());
//
// Each script times only its measured part and prints {"seconds": S, "result": R} as its last
// stdout line. A missing python3 is not an error: run() returns nullopt and available() says why.
// Thread safety: none; one PythonTwins per demo run, used from the main thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report.hpp"

namespace concur::cli::demo {

class PythonTwins {
 public:
  /// Finds python3 on PATH and asks its version. `enabled = false` behaves as if it were missing.
  explicit PythonTwins(bool enabled = true);

  bool available() const { return !program_.empty(); }
  /// "3.11.7", or "" when python3 is not available.
  const std::string& version() const { return version_; }

  /// Runs python/<name>.py with `args`. nullopt when python3 is missing or the twin failed;
  /// last_error() then says why in one line. Never throws for a failing twin.
  std::optional<TwinResult> run(std::string_view name, const std::vector<std::string>& args);
  const std::string& last_error() const { return last_error_; }

 private:
  std::string program_;  // absolute path of python3, "" when missing
  std::string version_;
  std::string last_error_;
};

/// The absolute path of `program` found on PATH, or "" (as `command -v`, without a shell).
std::string find_on_path(std::string_view program);

}  // namespace concur::cli::demo
