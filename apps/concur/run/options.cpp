// Hand-written parser: `--` and `:::` split the command line into options, a
// command and value groups, which a generic option library does not model well.
#include "options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

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

using Setter = std::function<void(Options&, const std::string&)>;
struct Spec {
  bool takes_value;
  Setter set;
};

const std::map<std::string, Spec>& option_table() {
  static const std::map<std::string, Spec> table = {
      {"--jobs",
       {true, [](Options& o, const std::string& v) { o.jobs = parse_int(v, "--jobs", 0); }}},
      {"--timeout",
       {true,
        [](Options& o, const std::string& v) {
          o.timeout = parse_duration(v, "--timeout");
          if (o.timeout->count() <= 0) throw UsageError("--timeout: must be more than 0");
        }}},
      {"--kill-after",
       {true, [](Options& o,
                 const std::string& v) { o.kill_after = parse_duration(v, "--kill-after"); }}},
      {"--retries",
       {true, [](Options& o, const std::string& v) { o.retries = parse_int(v, "--retries", 0); }}},
      {"--halt", {true, [](Options& o, const std::string& v) { o.halt = parse_halt(v); }}},
      {"--keep-order", {false, [](Options& o, const std::string&) { o.keep_order = true; }}},
      {"--tag", {false, [](Options& o, const std::string&) { o.tag = true; }}},
      {"--line-buffer", {false, [](Options& o, const std::string&) { o.line_buffer = true; }}},
      {"--cwd", {true, [](Options& o, const std::string& v) { o.cwd = v; }}},
      {"--env", {true, [](Options& o, const std::string& v) { o.env.push_back(parse_env(v)); }}},
      {"--shell", {false, [](Options& o, const std::string&) { o.shell = true; }}},
      {"--results", {true, [](Options& o, const std::string& v) { o.results = v; }}},
      {"--joblog", {true, [](Options& o, const std::string& v) { o.joblog = v; }}},
      {"--json", {true, [](Options& o, const std::string& v) { o.json = v; }}},
      {"--junit", {true, [](Options& o, const std::string& v) { o.junit = v; }}},
      {"--html", {true, [](Options& o, const std::string& v) { o.html = v; }}},
      {"--resume", {false, [](Options& o, const std::string&) { o.resume = true; }}},
      {"--dry-run", {false, [](Options& o, const std::string&) { o.dry_run = true; }}},
      {"--progress", {false, [](Options& o, const std::string&) { o.progress = true; }}},
      {"--no-progress", {false, [](Options& o, const std::string&) { o.progress = false; }}},
      {"--quiet", {false, [](Options& o, const std::string&) { o.quiet = true; }}},
      {"--jobs-file", {true, [](Options& o, const std::string& v) { o.jobs_file = v; }}},
      {"--help", {false, [](Options& o, const std::string&) { o.help = true; }}},
  };
  return table;
}

const std::map<char, std::string> short_options = {
    {'j', "--jobs"}, {'q', "--quiet"}, {'k', "--keep-order"}, {'h', "--help"}};

void validate(const Options& o) {
  if (o.help) return;
  if (o.resume && !o.joblog) throw UsageError("--resume needs --joblog FILE");
  if (o.jobs_file && !o.groups.empty())
    throw UsageError("--jobs-file and ::: values cannot be combined");
  if (o.command.empty() && o.groups.empty() && !o.jobs_file)
    throw UsageError("no command: give COMMAND [ARGS...] [::: VALUES...] or --jobs-file FILE");
  for (std::size_t i = 0; i < o.groups.size(); ++i)
    if (o.groups[i].empty())
      throw UsageError("::: group " + std::to_string(i + 1) + " has no values");
}

}  // namespace

std::chrono::duration<double> parse_duration(const std::string& text, const std::string& what) {
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
  return std::chrono::duration<double>(value * it->second);
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

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  const auto& table = option_table();
  std::size_t i = 0;
  const auto apply = [&](const std::string& name, std::optional<std::string> inline_value) {
    const auto it = table.find(name);
    if (it == table.end())
      throw UsageError("unknown option '" + name + "' (try 'concur run --help')");
    if (!it->second.takes_value) {
      if (inline_value) throw UsageError("option '" + name + "' takes no value");
      it->second.set(o, "");
      return;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) throw UsageError("option '" + name + "' needs a value");
      inline_value = args[++i];
    }
    it->second.set(o, *inline_value);
  };
  // Options first; `--` or the first word that is not an option starts the command.
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == ":::" || a.size() < 2 || a[0] != '-') break;
    if (a[1] == '-') {
      const auto eq = a.find('=');
      if (eq == std::string::npos)
        apply(a, std::nullopt);
      else
        apply(a.substr(0, eq), a.substr(eq + 1));
      continue;
    }
    const auto s = short_options.find(a[1]);
    if (s == short_options.end())
      throw UsageError("unknown option '" + a + "' (try 'concur run --help')");
    if (a.size() > 2) {
      if (!table.at(s->second).takes_value) throw UsageError("unknown option '" + a + "'");
      apply(s->second, a.substr(2));
    } else {
      apply(s->second, std::nullopt);
    }
  }
  for (; i < args.size() && args[i] != ":::"; ++i) o.command.push_back(args[i]);
  while (i < args.size()) {  // at a ":::"
    o.groups.emplace_back();
    for (++i; i < args.size() && args[i] != ":::"; ++i) o.groups.back().push_back(args[i]);
  }
  validate(o);
  return o;
}

Options parse_options(int argc, char** argv) {
  std::vector<std::string> args;
  for (int k = 1; k < argc; ++k) args.emplace_back(argv[k]);
  return parse_options(args);
}

const char* usage_text() {
  return R"(Usage: concur run [OPTIONS] [--] COMMAND [ARG...] [::: VALUE...]...
       concur run [OPTIONS] --jobs-file FILE
       ... | concur run [OPTIONS] [--] COMMAND [ARG...]      (one job per stdin line)

Runs one job per value (or per line of the jobs file / stdin) in parallel.
Placeholders: {} value, {.} without extension, {/} basename, {//} dirname,
{/.} basename without extension, {#} job number, {%} slot; {1} {2} {1.} ...
address the ::: groups (their cartesian product makes the jobs). A command
without placeholder gets the value appended; no command runs each value as a
shell command.

Options:
  -j, --jobs N            parallel jobs (default: usable CPUs; 0 = one per job)
  --timeout DURATION      per job (90, 1.5s, 2m, 500ms): SIGTERM to its process group,
                          SIGKILL after --kill-after (default 2s)
  --kill-after DURATION   grace between SIGTERM and SIGKILL
  --retries N             rerun a failed job up to N times
  --halt SPEC             never | soon,fail=N | now,fail=N | fail=P%
  -k, --keep-order        print outputs in input order
  --tag                   prefix each output line with the job's value
  --line-buffer           pass lines through as they come
  --cwd DIR               working directory (placeholders allowed)
  --env K=V               extra environment (repeatable); CONCUR_JOB, CONCUR_SLOT always set
  --shell                 run through /bin/sh -c; substituted values are shell-quoted
  --results DIR           per job DIR/<seq>/{stdout,stderr,meta.json}
  --joblog FILE           GNU parallel's joblog, a line per finished job
  --json FILE, --junit FILE, --html FILE
                          reports: JSON, JUnit XML, a self-contained HTML timeline
  --resume                with --joblog: skip jobs the log shows finished ok
  --jobs-file FILE        one shell command per line ('#' comments)
  --dry-run               print the commands, run nothing
  --progress, --no-progress
                          progress bar on stderr (default: when stderr is a terminal)
  -q, --quiet             only the summary
  -h, --help              this help

Exit status: 0 all passed; 1-100 that many failed; 101 more; 2 bad usage;
130/143 interrupted by SIGINT/SIGTERM; 255 other errors.
)";
}

}  // namespace concur::cli::run
