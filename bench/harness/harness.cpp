#include "harness/harness.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <sstream>

#include "harness/registry.hpp"

extern char** environ;

namespace concur::bench {
namespace {
bool g_quick = false;

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

// Runs argv, returns its stdout. Kept independent of concur::subprocess so the
// harness measures the library rather than relying on it.
std::string capture(const std::vector<std::string>& args, int& status) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + args[0]);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0)
      out.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  ::close(fds[0]);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return out;
}
}  // namespace

Register::Register(std::function<Scenario()> make) { registry().push_back(std::move(make)); }

std::vector<std::function<Scenario()>>& registry() {
  static std::vector<std::function<Scenario()>> r;
  return r;
}

bool quick() { return g_quick; }
void set_quick(bool q) { g_quick = q; }

std::string source_dir() { return CONCUR_SOURCE_DIR; }

namespace {
// The seconds a script or program printed as the last line of its stdout: a number, or the
// shared twins' JSON {"seconds": ..., "result": ...}.
double last_line_seconds(const std::string& out, const std::string& what) {
  auto end = out.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) throw std::runtime_error(what + " printed nothing");
  const auto start = out.find_last_of('\n', end);
  const std::string last = out.substr(start == std::string::npos ? 0 : start + 1,
                                      end + 1 - (start == std::string::npos ? 0 : start + 1));
  if (!last.empty() && last.front() == '{') {  // {"seconds": 1.23, "result": "..."}
    const auto key = last.find("\"seconds\":");
    if (key == std::string::npos) throw std::runtime_error(what + " gave no seconds");
    return std::stod(last.substr(key + 10));
  }
  return std::stod(last);
}
}  // namespace

double run_python(const std::string& script, const std::vector<std::string>& args) {
  static const bool have_python = on_path("python3");
  if (!have_python) throw Skip("python3 is not on PATH");
  const std::string path = script.find('/') != std::string::npos
                               ? source_dir() + "/" + script
                               : source_dir() + "/bench/python/" + script;
  std::vector<std::string> argv{"python3", path};
  argv.insert(argv.end(), args.begin(), args.end());
  int status = 0;
  const std::string out = capture(argv, status);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("python3 " + script + " failed");
  return last_line_seconds(out, "python3 " + script);
}

double run_timed(const std::vector<std::string>& argv) {
  if (argv.empty() ||
      !(argv[0].find('/') != std::string::npos ? ::access(argv[0].c_str(), X_OK) == 0
                                               : on_path(argv[0])))
    throw Skip((argv.empty() ? std::string("?") : argv[0]) + " is not installed");
  int status = 0;
  const std::string out = capture(argv, status);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(argv[0] + " failed (status " + std::to_string(status) + ")");
  return last_line_seconds(out, argv[0]);
}

ScenarioResult run_scenario(const Scenario& s, int repetitions_override) {
  ScenarioResult result{s.id, s.description, s.reference, s.unit, {}, {}};
  const int reps = repetitions_override > 0 ? repetitions_override : (g_quick ? 2 : s.repetitions);
  std::vector<Row> rows(s.impls.size());
  std::vector<bool> alive(s.impls.size(), true);
  for (std::size_t i = 0; i < s.impls.size(); ++i)
    rows[i] = Row{s.id, s.impls[i].id, s.unit, {}, 0, {}, false};
  if (s.setup) {
    try {
      s.setup();
    } catch (const Skip& e) {  // the whole scenario cannot run here (a service is down...)
      for (const auto& impl : s.impls) result.skipped.push_back(impl.id + ": " + e.what());
      return result;
    }
  }
  const int warmup = g_quick ? 0 : s.warmup;
  const bool progress = ::isatty(2) != 0;
  std::mt19937 rng(20261125);
  for (int rep = -warmup; rep < reps; ++rep) {
    // A fresh order each repetition (seeded, so runs are repeatable): no implementation always
    // runs first, and none always runs right after the same neighbour (whose after-effects, a
    // freed cache or a 4 GiB re-allocation, would otherwise always land on it).
    std::vector<std::size_t> order(s.impls.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    for (const std::size_t i : order) {
      if (!alive[i]) continue;
      if (progress)
        std::fprintf(stderr, "\r  %-28s %-26s rep %d/%d   ", s.id.c_str(), s.impls[i].id.c_str(),
                     std::max(rep + 1, 0), reps);
      if (progress) std::fflush(stderr);
      try {
        const double v = s.impls[i].run();
        if (rep >= 0) rows[i].samples.push_back(v);
      } catch (const Skip& e) {
        alive[i] = false;
        result.skipped.push_back(s.impls[i].id + ": " + e.what());
      } catch (const std::exception& e) {
        alive[i] = false;
        result.skipped.push_back(s.impls[i].id + ": failed: " + e.what());
      }
    }
  }
  if (s.teardown) s.teardown();
  if (progress) std::fprintf(stderr, "\r%80s\r", "");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!alive[i] || rows[i].samples.empty()) continue;
    auto v = rows[i].samples;
    std::sort(v.begin(), v.end());
    rows[i].median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    result.rows.push_back(rows[i]);
  }
  // The reference; when it did not run, the first limit probe (raw_*), else the first row.
  const Row* ref = nullptr;
  for (const auto& r : result.rows)
    if (r.impl == s.reference) ref = &r;
  for (const auto& r : result.rows)
    if (!ref && r.impl.rfind("raw_", 0) == 0) ref = &r;
  if (!ref && !result.rows.empty()) ref = &result.rows.front();
  if (ref) {
    result.reference = ref->impl;
    const double base = ref->median;
    for (auto& r : result.rows) {
      if (base > 0) r.ratio = r.median / base;
      r.is_reference = (&r == ref);
    }
  }
  return result;
}

}  // namespace concur::bench
