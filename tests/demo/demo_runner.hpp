// Runs the built `concur` binary for the demo's tests, through concur::subprocess.
//
//   const auto r = run_demo({"--quick", "--section", "subprocess"});
//   EXPECT_EQ(r.returncode, 0);
//   EXPECT_THAT(r.out, HasSubstr("== subprocess"));
//
// CONCUR_CLI is the binary's path (a compile definition: $<TARGET_FILE:concur_cli>).
#pragma once

#include <concur/subprocess.hpp>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace concur::test {

/// This process's environment as a map, to change a variable or two for a child.
inline std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

/// `concur demo ARGS...` with stdout and stderr captured; a 5-minute safety timeout.
inline concur::subprocess::CompletedProcess run_demo(
    std::vector<std::string> args,
    std::optional<std::map<std::string, std::string>> env = std::nullopt) {
  std::vector<std::string> argv = {CONCUR_CLI, "demo"};
  argv.insert(argv.end(), args.begin(), args.end());
  return concur::subprocess::run(
      std::move(argv),
      {.capture_output = true, .timeout = std::chrono::minutes(5), .env = std::move(env)});
}

/// True when python3 is on PATH (the demo then runs the Python twins).
inline bool python3_on_path() {
  return concur::subprocess::call({"sh", "-c", "command -v python3 >/dev/null"}) == 0;
}

}  // namespace concur::test
