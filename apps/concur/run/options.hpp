// concur run: its command line, declared on a CLI11 app, parsed and validated before any
// job starts.
//
//   CLI::App app;  RunCommandLine cl(app);  app.parse(argc, argv);
//   Options o = cl.finish();                                  // throws UsageError
//   auto o2 = concur::cli::run::parse_options({"-j", "2", "echo", ":::", "a"});  // tests
//
// Options come first; `--`, `:::` or the first word that is not an option starts the
// command (everything after it is the command's, even words that look like options);
// each `:::` starts a group of values. Every problem (unknown option, bad duration,
// malformed --halt, no command...) becomes one UsageError whose message is a single line
// naming it; the caller prints it and exits 2. Pure: no I/O; thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
class Error;
class Option;
}  // namespace CLI

namespace concur::cli::run {

/// A bad command line: the message is one line naming the problem.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Seconds = std::chrono::duration<double>;

/// --halt: when failures stop the run.
struct HaltPolicy {
  enum class When { never, soon, now } when = When::never;
  int fail_count = 0;        // halt after this many failures (when percent < 0)
  double fail_percent = -1;  // or after this percentage of all jobs failed
};

/// --partition slice:M/N | hash:M/N (1 <= index <= count).
struct Partition {
  enum class Kind { slice, hash } kind = Kind::slice;
  int index = 1, count = 1;
};

struct Options {
  std::optional<int> jobs;  // -j; nullopt = usable CPUs; 0 = one per job
  std::optional<Seconds> timeout;
  Seconds kill_after{2.0};
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
  // The test runner (discovery, selection, scheduling, flaky and leaky jobs).
  std::vector<std::string> gtest;      // --gtest BIN...
  std::optional<std::string> ctest;    // --ctest BUILD_DIR
  std::optional<std::string> pytest;   // --pytest [DIR] ("." without DIR)
  bool pytest_per_test = false;        // one job per test id instead of per file
  bool list = false;                   // print NAME<TAB>COMMAND per job, run nothing
  std::vector<std::string> filters;    // --filter GLOB / -GLOB, in order
  std::optional<std::string> history;  // --history FILE (default set by run_main)
  bool no_history = false;             // --no-history
  int repeat = 1;
  std::optional<Partition> partition;
  std::optional<Seconds> slow;
  Seconds leak_timeout{0.1};
  bool allow_leaks = false;
  // Other machines.
  std::vector<std::string> sshlogins;  // -S/--sshlogin (each may list several, comma-separated)
  std::optional<std::string> sshloginfile;        // --sshloginfile FILE
  std::vector<std::string> ssh = {"ssh"};         // --ssh CMD, split into words
  std::optional<std::vector<std::string>> slurm;  // --slurm [SRUN ARGS], split into words
  bool help = false;

  /// A discovery option (--gtest, --ctest, --pytest) makes the jobs.
  bool discovers() const { return !gtest.empty() || ctest || pytest; }
};

/// Declares concur run's options and its COMMAND / ::: positional on `app`; finish()
/// turns what app.parse() bound into Options. The object must outlive the parse.
class RunCommandLine {
 public:
  explicit RunCommandLine(CLI::App& app);
  /// Converts and validates. Throws UsageError.
  Options finish() const;

 private:
  CLI::App& app_;
  Options o_;
  std::string jobs_, timeout_, kill_after_, retries_, halt_, repeat_, partition_, slow_,
      leak_timeout_, ssh_, slurm_;
  std::vector<std::string> env_, rest_;
  bool fail_fast_ = false;
  bool progress_ = false;
  CLI::Option* progress_opt_ = nullptr;
};

/// Parses `run [OPTIONS] [--] COMMAND... [::: VALUES...]...` (argv[0] is "run").
/// `--help` sets Options::help. Throws UsageError.
Options parse_options(int argc, char** argv);
Options parse_options(const std::vector<std::string>& args);  // args without argv[0]

/// "90", "1.5s", "2m", "500ms", "1h" -> seconds: the one duration parser of the command
/// line. Throws UsageError naming `what`.
Seconds parse_duration(const std::string& text, const std::string& what);

/// "never", "soon,fail=3", "now,fail=1", "soon,fail=20%". Throws UsageError.
HaltPolicy parse_halt(const std::string& text);

/// "slice:2/3", "hash:1/4". Throws UsageError.
Partition parse_partition(const std::string& text);

/// One line for a CLI11 parse error ("unknown option '--bogus'", "option '--timeout'
/// needs a value", ...), without a trailing newline.
std::string usage_message(const CLI::Error& e);

/// The generated text of `concur run --help`.
std::string usage_text();

}  // namespace concur::cli::run
