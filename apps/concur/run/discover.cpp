#include "discover.hpp"

#include <concur/shlex.hpp>
#include <concur/subprocess.hpp>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

namespace concur::cli::run {
namespace {

namespace sp = concur::subprocess;
namespace fs = std::filesystem;

std::string first_line(const std::string& s) {
  const auto start = s.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  std::string line = s.substr(start, s.find('\n', start) - start);
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

// Runs a listing command; throws DiscoveryError naming `what` unless it exits with one
// of `ok_codes`.
std::string list_with(const std::string& what, const std::vector<std::string>& argv,
                      const std::optional<std::string>& cwd, std::set<int> ok_codes = {0}) {
  sp::Options o;
  o.in = sp::DEVNULL;
  o.capture_output = true;
  o.timeout = std::chrono::seconds(120);
  if (cwd) o.cwd = *cwd;
  sp::CompletedProcess r;
  try {
    r = sp::run(argv, std::move(o));
  } catch (const std::exception& e) {
    throw DiscoveryError("cannot list the tests of " + what + ": " + e.what());
  }
  if (ok_codes.count(r.returncode) == 0) {
    const std::string why = r.returncode < 0 ? "killed by signal " + std::to_string(-r.returncode)
                                             : "exit status " + std::to_string(r.returncode);
    const std::string detail = first_line(r.err.empty() ? r.out : r.err);
    throw DiscoveryError("cannot list the tests of " + what + " (" + shlex::join(argv) +
                         "): " + why + (detail.empty() ? "" : ": " + detail));
  }
  return r.out;
}

Command fixed_command(std::vector<std::string> argv, std::optional<std::string> cwd = {}) {
  Command c;
  c.display = shlex::join(argv);
  c.argv = std::move(argv);
  c.cwd = std::move(cwd);
  return c;
}

bool disabled_gtest_name(const std::string& name) {
  std::size_t start = 0;
  while (start <= name.size()) {
    if (name.compare(start, 9, "DISABLED_") == 0) return true;
    const auto next = name.find_first_of("./", start);
    if (next == std::string::npos) break;
    start = next + 1;
  }
  return false;
}

// A path as given, but a bare file name in the current directory gets "./" (PATH is for
// commands, not for the binary the user pointed at).
std::string program_path(const std::string& bin) {
  if (bin.find('/') == std::string::npos && fs::exists(bin)) return "./" + bin;
  return bin;
}

std::vector<JobSpec> discover_gtest(const std::vector<std::string>& bins) {
  std::vector<JobSpec> jobs;
  for (const auto& bin : bins) {
    const std::string path = program_path(bin);
    const std::string listing =
        list_with("'" + bin + "'", {path, "--gtest_list_tests"}, std::nullopt);
    for (auto& j : parse_gtest_list(path, listing)) jobs.push_back(std::move(j));
  }
  return jobs;
}

std::vector<JobSpec> discover_ctest(const std::string& dir) {
  if (!fs::exists(fs::path(dir) / "CTestTestfile.cmake"))
    throw DiscoveryError("--ctest: '" + dir +
                         "' has no CTestTestfile.cmake (not a CMake build directory with tests)");
  const std::string json =
      list_with("the build directory '" + dir + "'", {"ctest", "--show-only=json-v1"}, dir);
  return parse_ctest_json(dir, json);
}

std::vector<JobSpec> discover_pytest(const std::string& dir, bool per_test) {
  if (!fs::is_directory(dir)) throw DiscoveryError("--pytest: '" + dir + "' is not a directory");
  std::vector<std::string> argv = pytest_command();
  argv.insert(argv.end(), {"--collect-only", "-q", "--rootdir=."});
  // 5: no tests collected (an empty suite is not an error).
  const std::string listing = list_with("pytest in '" + dir + "'", argv, dir, {0, 5});
  return parse_pytest_collect(dir, listing, per_test);
}

}  // namespace

std::vector<std::string> pytest_command() {
  // The `pytest` a user would type knows its interpreter; `python3` may be another one.
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/pytest";
    if (::access(candidate.c_str(), X_OK) == 0) return {candidate};
    start = end + 1;
  }
  return {"python3", "-m", "pytest"};
}

std::vector<JobSpec> parse_gtest_list(const std::string& binary, const std::string& listing) {
  std::vector<JobSpec> jobs;
  std::string suite;
  std::size_t start = 0;
  while (start < listing.size()) {
    auto end = listing.find('\n', start);
    if (end == std::string::npos) end = listing.size();
    const std::string line = listing.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    const auto word_end = [&](std::size_t from) {
      const auto e = line.find_first_of(" \t#\r", from);
      return e == std::string::npos ? line.size() : e;
    };
    if (line[0] != ' ') {  // "Suite."  or  "Prefix/Suite.  # TypeParam = int"
      const std::string word = line.substr(0, word_end(0));
      suite = !word.empty() && word.back() == '.' ? word : "";
      continue;
    }
    if (suite.empty()) continue;
    const auto first = line.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    const std::string test = line.substr(first, word_end(first) - first);
    if (test.empty()) continue;
    JobSpec j;
    j.name = suite + test;
    j.fixed = fixed_command({binary, "--gtest_filter=" + j.name});
    j.disabled = disabled_gtest_name(j.name);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

std::vector<JobSpec> parse_ctest_json(const std::string& build_dir, const std::string& json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("tests") || !doc["tests"].is_array())
    throw DiscoveryError("--ctest: ctest --show-only=json-v1 in '" + build_dir +
                         "' printed no test list");
  const std::string abs_dir = fs::absolute(build_dir).lexically_normal().string();
  std::vector<JobSpec> jobs;
  for (const auto& t : doc["tests"]) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) continue;
    JobSpec j;
    j.name = t["name"].get<std::string>();
    std::vector<std::string> argv;
    if (t.contains("command") && t["command"].is_array())
      for (const auto& w : t["command"])
        if (w.is_string()) argv.push_back(w.get<std::string>());
    std::optional<std::string> cwd = abs_dir;
    std::vector<std::pair<std::string, std::string>> env;
    const std::map<std::string, std::vector<std::string>*> lists = {
        {"LABELS", &j.labels},
        {"RESOURCE_LOCK", &j.locks},
        {"DEPENDS", &j.depends},
        {"FIXTURES_SETUP", &j.fixtures_setup},
        {"FIXTURES_REQUIRED", &j.fixtures_required},
        {"FIXTURES_CLEANUP", &j.fixtures_cleanup},
        {"REQUIRED_FILES", &j.rules.required_files}};
    const std::map<std::string, std::vector<std::string>*> regexes = {
        {"PASS_REGULAR_EXPRESSION", &j.rules.pass_regex},
        {"FAIL_REGULAR_EXPRESSION", &j.rules.fail_regex},
        {"SKIP_REGULAR_EXPRESSION", &j.rules.skip_regex}};
    if (t.contains("properties") && t["properties"].is_array()) {
      for (const auto& p : t["properties"]) {
        if (!p.is_object() || !p.contains("name") || !p.contains("value")) continue;
        const std::string name = p["name"].is_string() ? p["name"].get<std::string>() : "";
        const auto& v = p["value"];
        if (name == "WORKING_DIRECTORY" && v.is_string()) {
          cwd = v.get<std::string>();
        } else if (name == "ENVIRONMENT" && v.is_array()) {
          for (const auto& kv : v) {
            if (!kv.is_string()) continue;
            const std::string s = kv.get<std::string>();
            const auto eq = s.find('=');
            if (eq != std::string::npos && eq > 0)
              env.emplace_back(s.substr(0, eq), s.substr(eq + 1));
          }
        } else if (v.is_array() && lists.count(name) > 0) {
          for (const auto& l : v)
            if (l.is_string()) lists.at(name)->push_back(l.get<std::string>());
        } else if (name == "TIMEOUT" && v.is_number() && v.get<double>() > 0) {
          j.timeout = Seconds(v.get<double>());
        } else if (name == "PROCESSORS" && v.is_number_integer()) {
          j.processors = static_cast<int>(std::clamp<long long>(v.get<long long>(), 1, 1 << 20));
        } else if (name == "RUN_SERIAL" && v.is_boolean()) {
          j.serial = v.get<bool>();
        } else if (name == "DISABLED" && v.is_boolean()) {
          j.disabled = v.get<bool>();
        } else if (name == "WILL_FAIL" && v.is_boolean()) {
          j.rules.will_fail = v.get<bool>();
        } else if (name == "SKIP_RETURN_CODE" && v.is_number_integer()) {
          const auto code = v.get<long long>();
          if (code >= 0 && code <= 255) j.rules.skip_return_code = static_cast<int>(code);
        } else if (v.is_array() && regexes.count(name) > 0) {
          for (const auto& l : v)
            if (l.is_string()) regexes.at(name)->push_back(l.get<std::string>());
        }
      }
    }
    if (argv.empty())  // ctest's "Not Run": the test's program was not built
      argv = {"/bin/sh", "-c",
              "echo \"ctest: test '$0' has no command (not built?)\" >&2; exit 127", j.name};
    try {
      check_rules(j.rules, j.name);
    } catch (const std::invalid_argument& e) {
      throw DiscoveryError("--ctest: " + std::string(e.what()));
    }
    j.fixed = fixed_command(std::move(argv), cwd);
    j.fixed->env = std::move(env);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

std::vector<JobSpec> parse_pytest_collect(const std::string& dir, const std::string& listing,
                                          bool per_test) {
  const std::vector<std::string> pytest = pytest_command();
  std::vector<JobSpec> jobs;
  std::set<std::string> files_seen;
  std::size_t start = 0;
  while (start < listing.size()) {
    auto end = listing.find('\n', start);
    if (end == std::string::npos) end = listing.size();
    std::string id = listing.substr(start, end - start);
    start = end + 1;
    if (!id.empty() && id.back() == '\r') id.pop_back();
    const auto sep = id.find("::");
    if (sep == std::string::npos || sep == 0 || id.find(' ') < sep) continue;
    const std::string unit = per_test ? id : id.substr(0, sep);
    if (!per_test && !files_seen.insert(unit).second) continue;
    JobSpec j;
    j.name = unit;
    std::vector<std::string> argv = pytest;
    argv.insert(argv.end(), {"-q", "--rootdir=.", unit});
    j.fixed = fixed_command(std::move(argv), dir);
    jobs.push_back(std::move(j));
  }
  return jobs;
}

std::vector<JobSpec> discover(const Options& opts) {
  std::vector<JobSpec> jobs;
  if (!opts.gtest.empty())
    jobs = discover_gtest(opts.gtest);
  else if (opts.ctest)
    jobs = discover_ctest(*opts.ctest);
  else if (opts.pytest)
    jobs = discover_pytest(*opts.pytest, opts.pytest_per_test);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].seq = i + 1;
    jobs[i].values = {jobs[i].name};  // {} in --cwd, --env and --tag: the test's name
  }
  return jobs;
}

}  // namespace concur::cli::run
