// concur run's options on CLI11. CLI11 parses the options and collects everything from
// `--`, `:::` or the first plain word on into one positional (positionals_at_end), which
// finish() splits into the command and its ::: groups. Values are bound as text and
// converted here, so every bad value gets the same one-line message whatever CLI11 says.
#include "options.hpp"

#include <concur/shlex.hpp>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

#include "safe_parse.hpp"  // apps/concur/
#include "ssh_launcher.hpp"
#include "usage_format.hpp"  // apps/concur/

namespace concur::cli::run {
namespace {

int parse_int(const std::string& text, const std::string& what, int min) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || v < min || v > 1000000)
    throw UsageError(what + ": '" + text + "' is not a whole number >= " + std::to_string(min));
  return static_cast<int>(v);
}

std::pair<std::string, std::string> parse_env(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--env: '" + text + "' is not of the form NAME=VALUE");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

constexpr const char* kDescription =
    "Runs one job per value (or per line of the jobs file / stdin, or per test a discovery\n"
    "option finds) in parallel, with timeouts that kill the job's whole process tree,\n"
    "retries, reports and a summary.";

constexpr const char* kFooter =
    R"(Placeholders: {} value, {.} without extension, {/} basename, {//} dirname,
{/.} basename without extension, {#} job number, {%} slot; {1} {2} {1.} ...
address the ::: groups (their cartesian product makes the jobs). A command
without placeholder gets the value appended; no command runs each value as a
shell command. DURATION: 90, 1.5s, 2m, 500ms, 1h.

Exit status: 0 all passed; 1-100 that many failed; 101 more; 2 bad usage;
130/143 interrupted by SIGINT/SIGTERM; 255 other errors.)";

constexpr const char* kUsage =
    "concur run [OPTIONS] [--] COMMAND [ARG...] [::: VALUE...]...\n"
    "       concur run [OPTIONS] --jobs-file FILE\n"
    "       ... | concur run [OPTIONS] [--] COMMAND [ARG...]   (one job per stdin line)\n"
    "       concur run [OPTIONS] --gtest BIN... | --ctest BUILD_DIR | --pytest [DIR]";

void validate(const Options& o) {
  if (o.help) return;
  if (o.resume && !o.joblog) throw UsageError("--resume needs --joblog FILE");
  if (o.jobs_file && !o.groups.empty())
    throw UsageError("--jobs-file and ::: values cannot be combined");
  const int discovery = (o.gtest.empty() ? 0 : 1) + (o.ctest ? 1 : 0) + (o.pytest ? 1 : 0);
  if (discovery > 1) throw UsageError("--gtest, --ctest and --pytest cannot be combined");
  if (discovery == 1 && (!o.command.empty() || !o.groups.empty() || o.jobs_file))
    throw UsageError(
        "a discovery option (--gtest, --ctest, --pytest) makes the jobs: give no COMMAND, "
        "::: values or --jobs-file with it");
  if (o.pytest_per_test && !o.pytest) throw UsageError("--pytest-per-test needs --pytest");
  if (discovery == 0 && o.command.empty() && o.groups.empty() && !o.jobs_file)
    throw UsageError(
        "no command: give COMMAND [ARGS...] [::: VALUES...], --jobs-file FILE, or --gtest, "
        "--ctest or --pytest");
  for (std::size_t i = 0; i < o.groups.size(); ++i)
    if (o.groups[i].empty())
      throw UsageError("::: group " + std::to_string(i + 1) + " has no values");
  for (const auto& f : o.filters)
    if (f.empty() || f == "-") throw UsageError("--filter: an empty pattern matches nothing");
  if (o.history && o.no_history) throw UsageError("--history and --no-history cannot be combined");
}

}  // namespace

RunCommandLine::RunCommandLine(CLI::App& app) : app_(app) {
  if (app.get_description().empty()) app.description(kDescription);
  app.footer(kFooter);
  app.formatter(std::make_shared<concur::cli::UsageFormatter>(kUsage));
  app.get_formatter()->column_width(30);
  app.positionals_at_end(true);
  const auto value = [&](const char* names, std::string& into, const char* type, const char* help) {
    return app.add_option(names, into, help)->type_name(type)->take_last();
  };
  value("-j,--jobs", jobs_, "N", "parallel jobs (default: usable CPUs; 0 = one per job)");
  value("--timeout", timeout_, "DURATION",
        "per job: SIGTERM to its process group, SIGKILL after --kill-after");
  value("--kill-after", kill_after_, "DURATION", "grace between SIGTERM and SIGKILL (default 2s)");
  value("--retries", retries_, "N", "rerun a failed job up to N times; failed then passed = flaky");
  value("--halt", halt_, "SPEC", "never | soon,fail=N | now,fail=N | fail=P%");
  app.add_flag("--fail-fast", fail_fast_, "--halt now,fail=1");
  app.add_flag("-k,--keep-order", o_.keep_order, "print outputs in input order");
  app.add_flag("--tag", o_.tag, "prefix each output line with the job's value");
  app.add_flag("--line-buffer", o_.line_buffer, "pass lines through as they come");
  app.add_option("--cwd", o_.cwd, "working directory (placeholders allowed)")
      ->type_name("DIR")
      ->take_last();
  app.add_option("--env", env_,
                 "extra environment (repeatable); CONCUR_JOB, CONCUR_SLOT always set")
      ->type_name("K=V");
  app.add_flag("--shell", o_.shell, "run through /bin/sh -c; substituted values are shell-quoted");
  app.add_option("--results", o_.results, "per job DIR/<seq>/{stdout,stderr,meta.json}")
      ->type_name("DIR")
      ->take_last();
  app.add_option("--joblog", o_.joblog, "GNU parallel's joblog, a line per finished job")
      ->type_name("FILE")
      ->take_last();
  app.add_option("--json", o_.json, "report: JSON")->type_name("FILE")->take_last();
  app.add_option("--junit", o_.junit, "report: JUnit XML")->type_name("FILE")->take_last();
  app.add_option("--html", o_.html, "report: a self-contained HTML page with a timeline")
      ->type_name("FILE")
      ->take_last();
  app.add_flag("--resume", o_.resume, "with --joblog: skip jobs the log shows finished ok");
  app.add_option("--jobs-file", o_.jobs_file, "one shell command per line ('#' comments)")
      ->type_name("FILE")
      ->take_last();
  app.add_flag("--dry-run", o_.dry_run, "print the commands, run nothing");
  progress_opt_ = app.add_flag("--progress,!--no-progress", progress_,
                               "live view / progress line on stderr (default: on a terminal)");
  app.add_flag("-q,--quiet", o_.quiet, "only the summary");
  // The test runner.
  app.add_option("--gtest", o_.gtest, "one job per GoogleTest case of each binary")
      ->type_name("BIN...")
      ->expected(1, -1)
      ->group("Test runner");
  app.add_option("--ctest", o_.ctest, "the tests ctest knows in BUILD_DIR, with their properties")
      ->type_name("BUILD_DIR")
      ->take_last()
      ->group("Test runner");
  app.add_option("--pytest", o_.pytest, "one job per pytest test file under DIR (default .)")
      ->type_name("[DIR]")
      ->expected(0, 1)
      ->default_str(".")
      ->take_last()
      ->group("Test runner");
  app.add_flag("--pytest-per-test", o_.pytest_per_test, "one job per pytest test id")
      ->group("Test runner");
  app.add_flag("--list", o_.list, "print NAME<TAB>COMMAND per job that would run; run nothing")
      ->group("Test runner");
  app.add_option("--filter", o_.filters, "keep jobs whose name matches (-GLOB excludes)")
      ->type_name("GLOB")
      ->allow_extra_args(false)
      ->group("Test runner");
  app.add_option("--history", o_.history,
                 "durations of earlier runs: longest first, ETA (default with discovery: "
                 ".concur/history.json)")
      ->type_name("FILE")
      ->take_last()
      ->group("Test runner");
  app.add_flag("--no-history", o_.no_history, "neither read nor write a history")
      ->group("Test runner");
  value("--repeat", repeat_, "N", "run every job N times (find flaky tests)")->group("Test runner");
  value("--partition", partition_, "slice:M/N|hash:M/N", "run only bucket M of N (CI sharding)")
      ->group("Test runner");
  value("--slow", slow_, "DURATION", "report a job still running after DURATION")
      ->group("Test runner");
  value("--leak-timeout", leak_timeout_, "DURATION",
        "grace for processes a job leaves behind; then killed, job leaky (default 100ms)")
      ->group("Test runner");
  app.add_flag("--allow-leaks", o_.allow_leaks, "leaky jobs count as passed (still reported)")
      ->group("Test runner");
  // Other machines.
  app.add_option("-S,--sshlogin", o_.sshlogins,
                 "run jobs on [N/][user@]host (':' = here; comma-separated)")
      ->type_name("LOGIN")
      ->allow_extra_args(false)
      ->group("Other machines");
  app.add_option("--sshloginfile", o_.sshloginfile, "logins, one per line ('#' comments)")
      ->type_name("FILE")
      ->take_last()
      ->group("Other machines");
  value("--ssh", ssh_, "CMD", "the ssh command (default ssh; connections are shared)")
      ->group("Other machines");
  app.add_option("--slurm", slurm_, "each job as a Slurm step through srun (extra SRUN ARGS)")
      ->type_name("[SRUN ARGS]")
      ->expected(0, 1)
      ->default_str("")
      ->take_last()
      ->group("Other machines");
  // At least one word, so a `--` belongs to this command (CLI11 hands it to the parent
  // app when no positional is left to fill); not required, as --jobs-file needs none.
  app.add_option("COMMAND", rest_, "the command and its ::: groups of values")
      ->type_name("")
      ->expected(1, -1)
      ->allow_extra_args(true);
}

Options RunCommandLine::finish() const {
  Options o = o_;
  const auto given = [&](const char* name) { return app_.count(name) > 0; };
  if (given("--jobs")) o.jobs = parse_int(jobs_, "--jobs", 0);
  if (given("--timeout")) {
    o.timeout = parse_duration(timeout_, "--timeout");
    if (o.timeout->count() <= 0) throw UsageError("--timeout: must be more than 0");
  }
  if (given("--kill-after")) o.kill_after = parse_duration(kill_after_, "--kill-after");
  if (given("--retries")) o.retries = parse_int(retries_, "--retries", 0);
  if (given("--halt")) o.halt = parse_halt(halt_);
  if (fail_fast_) o.halt = HaltPolicy{HaltPolicy::When::now, 1, -1};
  for (const auto& e : env_) o.env.push_back(parse_env(e));
  if (progress_opt_->count() > 0) o.progress = progress_;
  if (given("--repeat")) o.repeat = parse_int(repeat_, "--repeat", 1);
  if (given("--partition")) o.partition = parse_partition(partition_);
  if (given("--slow")) {
    o.slow = parse_duration(slow_, "--slow");
    if (o.slow->count() <= 0) throw UsageError("--slow: must be more than 0");
  }
  if (given("--leak-timeout")) o.leak_timeout = parse_duration(leak_timeout_, "--leak-timeout");
  const auto words = [](const std::string& text, const char* what) {
    try {
      return concur::shlex::split(text);
    } catch (const std::exception& e) {
      throw UsageError(std::string(what) + ": " + e.what());
    }
  };
  if (given("--ssh")) {
    o.ssh = words(ssh_, "--ssh");
    if (o.ssh.empty()) throw UsageError("--ssh: empty command");
  }
  if (given("--slurm")) o.slurm = words(slurm_, "--slurm");
  for (const auto& list : o.sshlogins) {
    try {
      parse_sshlogins(list);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  if (o.sshloginfile) {
    try {
      read_sshloginfile(*o.sshloginfile);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  if (o.slurm && (!o.sshlogins.empty() || o.sshloginfile))
    throw UsageError("--slurm and --sshlogin/--sshloginfile cannot be combined");
  // rest_: [--] COMMAND... [::: VALUES...]... (CLI11 drops the `--` it consumed).
  std::size_t i = 0;
  for (; i < rest_.size() && rest_[i] != ":::"; ++i) o.command.push_back(rest_[i]);
  while (i < rest_.size()) {  // at a ":::"
    o.groups.emplace_back();
    for (++i; i < rest_.size() && rest_[i] != ":::"; ++i) o.groups.back().push_back(rest_[i]);
  }
  validate(o);
  return o;
}

Seconds parse_duration(const std::string& text, const std::string& what) {
  const auto bad = [&] {
    return UsageError(what + ": '" + text + "' is not a duration (e.g. 90, 1.5s, 2m, 500ms)");
  };
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  const std::string number = text.substr(0, i), unit = text.substr(i);
  if (number.empty() || number == "." || number.find('.') != number.rfind('.')) throw bad();
  const double value = std::strtod(number.c_str(), nullptr);
  static const std::map<std::string, double> units = {{"", 1.0},     {"s", 1.0},    {"ms", 1e-3},
                                                      {"m", 60.0},   {"min", 60.0}, {"h", 3600.0},
                                                      {"d", 86400.0}};
  const auto it = units.find(unit);
  if (it == units.end() || !std::isfinite(value)) throw bad();
  // The scheduler adds it to a steady_clock time point (int64 nanoseconds, ~292 years):
  // anything longer would overflow there.
  if (value * it->second > 1e9)
    throw UsageError(what + ": '" + text + "' is too long (over 31 years)");
  return Seconds(value * it->second);
}

HaltPolicy parse_halt(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return UsageError("--halt: '" + text + "' " + why +
                      " (expected never, soon,fail=N, now,fail=N or fail=P%)");
  };
  HaltPolicy h;
  if (text == "never") return h;
  std::string rest = text;
  h.when = HaltPolicy::When::soon;
  if (rest.rfind("soon,", 0) == 0) {
    rest = rest.substr(5);
  } else if (rest.rfind("now,", 0) == 0) {
    h.when = HaltPolicy::When::now;
    rest = rest.substr(4);
  }
  if (rest.rfind("fail=", 0) != 0) throw bad("is malformed");
  std::string n = rest.substr(5);
  const bool percent = !n.empty() && n.back() == '%';
  if (percent) n.pop_back();
  if (n.empty() || n.find_first_not_of("0123456789.") != std::string::npos)
    throw bad("has a bad count");
  if (!percent && n.find('.') != std::string::npos) throw bad("has a bad count");
  const double v = std::strtod(n.c_str(), nullptr);
  if (percent) {
    if (v <= 0 || v > 100) throw bad("has a percentage outside 0-100");
    h.fail_percent = v;
  } else {
    if (v < 1 || v > 1e6) throw bad("needs a count of at least 1");
    h.fail_count = static_cast<int>(v);
  }
  return h;
}

Partition parse_partition(const std::string& text) {
  const auto bad = [&] {
    return UsageError("--partition: '" + text +
                      "' is not slice:M/N or hash:M/N with 1 <= M <= N (e.g. hash:2/4)");
  };
  Partition p;
  const auto colon = text.find(':');
  const auto slash = text.find('/');
  if (colon == std::string::npos || slash == std::string::npos || slash < colon) throw bad();
  const std::string kind = text.substr(0, colon);
  if (kind == "slice")
    p.kind = Partition::Kind::slice;
  else if (kind == "hash")
    p.kind = Partition::Kind::hash;
  else
    throw bad();
  const std::string m = text.substr(colon + 1, slash - colon - 1), n = text.substr(slash + 1);
  const auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
      throw bad();
    return std::stoi(s);
  };
  p.index = number(m);
  p.count = number(n);
  if (p.count < 1 || p.index < 1 || p.index > p.count) throw bad();
  return p;
}

std::string usage_message(const CLI::Error& e) {
  std::string what = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    // "The following argument(s) was/were not expected: A B": name the first.
    const auto colon = what.find(": ");
    std::string first = colon == std::string::npos ? what : what.substr(colon + 2);
    first = first.substr(0, first.find(' '));
    return (!first.empty() && first[0] == '-' ? "unknown option '" : "unexpected argument '") +
           first + "'";
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr &&
      what.find("required") != std::string::npos && what.find("missing") != std::string::npos)
    return "option '" + what.substr(0, what.find(':')) + "' needs a value";
  for (char& c : what)
    if (c == '\n') c = ' ';
  while (!what.empty() && what.back() == ' ') what.pop_back();
  return what;
}

Options parse_options(const std::vector<std::string>& args) {
  CLI::App app{"", "run"};
  RunCommandLine cl(app);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    safe_parse(app, reversed);
  } catch (const CLI::CallForHelp&) {
    Options o;
    o.help = true;
    return o;
  } catch (const CLI::ParseError& e) {
    throw UsageError(usage_message(e) + " (try 'concur run --help')");
  }
  return cl.finish();
}

Options parse_options(int argc, char** argv) {
  std::vector<std::string> args;
  for (int k = 1; k < argc; ++k) args.emplace_back(argv[k]);
  return parse_options(args);
}

std::string usage_text() {
  CLI::App app{"", "concur run"};
  RunCommandLine cl(app);
  return app.help();
}

}  // namespace concur::cli::run
