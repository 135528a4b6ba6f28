// concur run: its command line, parsed and validated before any job starts.
//
//   auto opts = concur::cli::run::parse_options(argc, argv);   // throws UsageError
//
// Every problem (unknown option, bad duration, malformed --halt, no command...)
// becomes one UsageError whose message is a single line naming it; run_main prints
// it and exits 2. Pure: no I/O except reading nothing; thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace concur::cli::run {

/// A bad command line: the message is one line naming the problem.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// --halt: when failures stop the run.
struct HaltPolicy {
  enum class When { never, soon, now } when = When::never;
  int fail_count = 0;        // halt after this many failures (when percent < 0)
  double fail_percent = -1;  // or after this percentage of all jobs failed
};

struct Options {
  std::optional<int> jobs;  // -j; nullopt = usable CPUs; 0 = one per job
  std::optional<std::chrono::duration<double>> timeout;
  std::chrono::duration<double> kill_after{2.0};
  int retries = 0;
  HaltPolicy halt;
  bool keep_order = false, tag = false, line_buffer = false, shell = false;
  bool resume = false, dry_run = false, quiet = false;
  std::optional<bool> progress;  // nullopt = when stderr is a terminal
  std::optional<std::string> cwd;
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<std::string> results, joblog, json, junit, html, jobs_file;
  std::vector<std::string> command;              // after `--`, before the first `:::`
  std::vector<std::vector<std::string>> groups;  // each `:::` group's values
  bool help = false;
};

/// Parses `run [OPTIONS] [--] COMMAND... [::: VALUES...]...` (argv[0] is "run").
Options parse_options(int argc, char** argv);
Options parse_options(const std::vector<std::string>& args);  // args without argv[0]

/// "90", "1.5s", "2m", "500ms", "1h" -> seconds. Throws UsageError naming `what`.
std::chrono::duration<double> parse_duration(const std::string& text, const std::string& what);

/// "never", "soon,fail=3", "now,fail=1", "soon,fail=20%". Throws UsageError.
HaltPolicy parse_halt(const std::string& text);

/// The text of `concur run --help`.
const char* usage_text();

}  // namespace concur::cli::run
