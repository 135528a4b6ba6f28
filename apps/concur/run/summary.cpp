#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <map>

#include "reports.hpp"

namespace concur::cli::run {
namespace {

// Job output shown on a terminal: no control sequences (a job cannot repaint the screen).
std::string printable(const std::string& s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 && c != '\t') || u == 0x7f ? '?' : c;
  }
  return out;
}

std::string where(const JobResult& r) {
  return r.cwd ? " (in " + printable(*r.cwd) + ")" : std::string();
}

// How a job is named in the summary: its command, and a test's name before it.
std::string label(const JobResult& r) {
  if (r.name.empty() || r.name == r.command) return printable(r.command);
  return printable(r.name) + " (" + printable(r.command) + ")";
}

std::string status_of(const JobResult& r) {
  if (!r.error.empty()) return "could not start: " + printable(r.error);
  if (r.signal != 0) {
    const char* name = ::sigabbrev_np(r.signal);
    return fmt::format("killed by signal {}{}", r.signal,
                       name ? std::string(" (SIG") + name + ")" : "");
  }
  const std::string why = r.reason.empty() ? "" : ": " + printable(r.reason);
  return fmt::format("exit status {}{}", r.exit_status, why);
}

// --repeat: per job, how many of its runs passed (jobs that always passed in one line).
std::string repeat_counts(const std::vector<JobResult>& results) {
  std::map<std::string, std::pair<std::size_t, std::size_t>> runs;  // name -> passed, ran
  std::vector<std::string> names;
  bool repeated = false;
  for (const auto& r : results) {
    repeated = repeated || r.repeat > 0;
    auto [it, fresh] = runs.try_emplace(r.name, 0, 0);
    if (fresh) names.push_back(r.name);
    if (r.outcome == Outcome::skipped || r.outcome == Outcome::interrupted) continue;
    it->second.first += r.outcome == Outcome::passed ? 1 : 0;
    ++it->second.second;
  }
  if (!repeated) return {};
  std::string s = "repeat (passed/runs):\n";
  std::size_t always = 0;
  for (const auto& name : names) {
    const auto [passed, n] = runs[name];
    if (passed == n) {
      ++always;
      continue;
    }
    s += fmt::format("  {}/{}  {}\n", passed, n, printable(name));
  }
  if (always > 0) s += fmt::format("  {} job{} passed every run\n", always, always == 1 ? "" : "s");
  return s;
}

}  // namespace

std::string summary_text(const std::vector<JobResult>& results, const Totals& t) {
  std::string s =
      fmt::format("concur run: {} job{}: {} passed, {} failed, {} timed out, {} skipped", t.jobs,
                  t.jobs == 1 ? "" : "s", t.passed, t.failed, t.timed_out, t.skipped);
  if (t.interrupted > 0) s += fmt::format(", {} interrupted", t.interrupted);
  if (t.flaky > 0) s += fmt::format(" ({} flaky)", t.flaky);
  if (t.leaky > 0) s += fmt::format(" ({} leaky)", t.leaky);
  if (t.started > 0 && t.wall > 0)
    s += fmt::format(" in {:.3f}s (sum of job times {:.3f}s, speed-up {:.2f}x)\n", t.wall,
                     t.job_time, t.job_time / t.wall);
  else
    s += fmt::format(" in {:.3f}s (no job started)\n", t.wall);
  if (t.interrupted_by != 0)
    s += fmt::format("interrupted by signal {}: reports cover the jobs that finished\n",
                     t.interrupted_by);
  if (t.halted) s += "halted: too many failures (--halt)\n";
  std::vector<const JobResult*> ran;
  for (const auto& r : results)
    if (r.started) ran.push_back(&r);
  std::sort(ran.begin(), ran.end(),
            [](const JobResult* a, const JobResult* b) { return a->runtime > b->runtime; });
  if (ran.size() > 1) {
    s += "slowest:\n";
    for (std::size_t i = 0; i < std::min<std::size_t>(3, ran.size()); ++i)
      s += fmt::format("  {:8.3f}s  #{} {}{}{}\n", ran[i]->runtime, ran[i]->seq, label(*ran[i]),
                       where(*ran[i]), ran[i]->slow ? "  SLOW" : "");
  }
  s += repeat_counts(results);
  for (const auto& r : results) {
    if (r.flaky)
      s += fmt::format("FLAKY #{} {}: failed {} time{}, then passed\n", r.seq, label(r),
                       r.failed_attempts.size(), r.failed_attempts.size() == 1 ? "" : "s");
    if (r.leaky) {
      s += fmt::format("LEAKY #{} {}: left {} process{} behind (killed after --leak-timeout){}\n",
                       r.seq, label(r), r.leftovers.size(), r.leftovers.size() == 1 ? "" : "es",
                       r.outcome == Outcome::passed ? "; allowed by --allow-leaks" : "");
      for (const auto& p : r.leftovers) s += "    | " + printable(p) + "\n";
    }
    if (r.outcome == Outcome::skipped && !r.reason.empty())
      s += fmt::format("{} #{} {}: {}\n", r.started ? "SKIPPED" : "NOT RUN", r.seq, label(r),
                       printable(r.reason));
    if (r.slow && r.outcome != Outcome::timed_out)
      s += fmt::format("SLOW #{} {}: took {:.3f}s\n", r.seq, label(r), r.runtime);
  }
  for (const auto& r : results) {
    if (r.output_held_open && r.outcome == Outcome::passed)
      s += fmt::format("note: #{} {}: a leftover process kept its output open; stopped waiting\n",
                       r.seq, label(r));
    if (r.outcome != Outcome::failed && r.outcome != Outcome::timed_out) continue;
    if (r.outcome == Outcome::timed_out)
      s += fmt::format("TIMED OUT #{} {}{}: after {:.3f}s ({})\n", r.seq, label(r), where(r),
                       r.runtime, status_of(r));
    else if (r.leaky && r.exit_status == 0 && r.signal == 0)
      s += fmt::format("FAILED #{} {}{}: leaky (see LEAKY above; --allow-leaks to pass)\n", r.seq,
                       label(r), where(r));
    else
      s += fmt::format("FAILED #{} {}{}: {}\n", r.seq, label(r), where(r), status_of(r));
    const std::string tail = [&] {  // the last 5 lines of its stderr
      std::string t2 = r.stderr_tail;
      if (!t2.empty() && t2.back() == '\n') t2.pop_back();
      std::size_t pos = t2.size();
      for (int k = 0; k < 5 && pos != std::string::npos && pos > 0; ++k)
        pos = t2.rfind('\n', pos - 1);
      return pos == std::string::npos || pos == 0 ? t2 : t2.substr(pos + 1);
    }();
    std::size_t start = 0;
    while (!tail.empty() && start <= tail.size()) {
      auto nl = tail.find('\n', start);
      if (nl == std::string::npos) nl = tail.size();
      s += "    | " + printable(tail.substr(start, nl - start)) + "\n";
      start = nl + 1;
    }
    if (r.output_held_open) s += "    (a leftover process kept its output open; stopped waiting)\n";
  }
  return s;
}

}  // namespace concur::cli::run
