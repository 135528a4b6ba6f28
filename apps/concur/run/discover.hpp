// concur run: jobs from test suites — one per GoogleTest case (--gtest BIN...), per test
// ctest knows (--ctest BUILD_DIR, with each test's command, working directory,
// environment, labels, TIMEOUT, RUN_SERIAL, DISABLED, RESOURCE_LOCK, DEPENDS and
// FIXTURES_SETUP/REQUIRED/CLEANUP as start order), per pytest file or test id
// (--pytest [DIR], --pytest-per-test).
//
//   std::vector<JobSpec> jobs = discover(opts);   // throws DiscoveryError
//
// Each job's name is the test's (Suite.Case, the ctest name, the pytest file or id), and
// its one value too ({} in --cwd, --env, --tag).
// The suite is listed by running it (BIN --gtest_list_tests, ctest --show-only=json-v1,
// pytest --collect-only -q), at most 120 s each; a suite that cannot be
// listed is a DiscoveryError naming it. Not thread-safe (spawns processes).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "jobs.hpp"
#include "options.hpp"

namespace concur::cli::run {

/// A suite could not be listed: one line naming it and why.
struct DiscoveryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The jobs of the discovery option in `opts` (seq numbered from 1).
std::vector<JobSpec> discover(const Options& opts);

/// How pytest is started: the first `pytest` on PATH, else {"python3", "-m", "pytest"}.
std::vector<std::string> pytest_command();

/// Parsers of the listings (exposed for tests).
std::vector<JobSpec> parse_gtest_list(const std::string& binary, const std::string& listing);
std::vector<JobSpec> parse_ctest_json(const std::string& build_dir, const std::string& json);
std::vector<JobSpec> parse_pytest_collect(const std::string& dir, const std::string& listing,
                                          bool per_test);

}  // namespace concur::cli::run
