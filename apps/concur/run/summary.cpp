#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstring>

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

std::string status_of(const JobResult& r) {
  if (!r.error.empty()) return "could not start: " + printable(r.error);
  if (r.signal != 0) {
    const char* name = ::sigabbrev_np(r.signal);
    return fmt::format("killed by signal {}{}", r.signal,
                       name ? std::string(" (SIG") + name + ")" : "");
  }
  return fmt::format("exit status {}", r.exit_status);
}

}  // namespace

std::string summary_text(const std::vector<JobResult>& results, const Totals& t) {
  std::string s = fmt::format("concur run: {} jobs: {} passed, {} failed, {} timed out, {} skipped",
                              t.jobs, t.passed, t.failed, t.timed_out, t.skipped);
  if (t.interrupted > 0) s += fmt::format(", {} interrupted", t.interrupted);
  s += fmt::format(" in {:.3f}s (sum of job times {:.3f}s, speed-up {:.2f}x)\n", t.wall, t.job_time,
                   t.wall > 0 ? t.job_time / t.wall : 0.0);
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
      s += fmt::format("  {:8.3f}s  #{} {}{}\n", ran[i]->runtime, ran[i]->seq,
                       printable(ran[i]->command), where(*ran[i]));
  }
  for (const auto& r : results) {
    if (r.output_held_open && r.outcome == Outcome::passed)
      s += fmt::format("note: #{} {}: a leftover process kept its output open; stopped waiting\n",
                       r.seq, printable(r.command));
    if (r.outcome != Outcome::failed && r.outcome != Outcome::timed_out) continue;
    if (r.outcome == Outcome::timed_out)
      s += fmt::format("TIMED OUT #{} {}{}: after {:.3f}s ({})\n", r.seq, printable(r.command),
                       where(r), r.runtime, status_of(r));
    else
      s +=
          fmt::format("FAILED #{} {}{}: {}\n", r.seq, printable(r.command), where(r), status_of(r));
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
