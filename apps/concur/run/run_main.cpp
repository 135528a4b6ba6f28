// concur run: parse and validate everything (exit 2 before any job starts), then run
// the jobs through the scheduler and write the records, reports and summary.
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <set>
#include <string>

#include "commands.hpp"
#include "jobs.hpp"
#include "launcher.hpp"
#include "options.hpp"
#include "printer.hpp"
#include "progress.hpp"
#include "reports.hpp"
#include "scheduler.hpp"

extern char** environ;  // NOLINT

namespace concur::cli {
namespace {

using namespace concur::cli::run;

int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)) > 0
             ? static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)))
             : 1;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

// -j 0 (one slot per job) can need two pipes per job: allow what the hard limit allows.
void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

int run_jobs(const Options& opts, const Inputs& inputs, const CommandPlan& plan) {
  const int slots = opts.jobs.value_or(usable_cpus());
  if (opts.dry_run) {
    const std::size_t n = slots > 0 ? static_cast<std::size_t>(slots) : inputs.jobs.size();
    for (std::size_t i = 0; i < inputs.jobs.size(); ++i) {
      const Command c =
          plan.expand(inputs.jobs[i], static_cast<int>(i % std::max<std::size_t>(1, n)) + 1);
      std::string line = c.display;
      if (c.cwd) line = "(cd " + shell_quote(*c.cwd) + " && " + line + ")";
      line += '\n';
      write_all(1, line);
    }
    return 0;
  }
  std::vector<bool> skip;
  if (opts.resume) {
    const auto ok = joblog_succeeded(*opts.joblog);
    skip.resize(inputs.jobs.size());
    for (std::size_t i = 0; i < inputs.jobs.size(); ++i) skip[i] = ok.count(inputs.jobs[i].seq) > 0;
  }
  std::unique_ptr<Joblog> joblog;
  if (opts.joblog) joblog = std::make_unique<Joblog>(*opts.joblog, opts.resume);

  const bool progress_on = opts.progress.value_or(!opts.quiet && ::isatty(2) == 1);
  Progress progress(2, progress_on);
  Printer printer({opts.quiet, opts.keep_order, opts.tag, opts.line_buffer, 1, 2}, &progress);
  for (std::size_t i = 0; i < skip.size(); ++i)
    if (skip[i]) printer.nothing_for(inputs.jobs[i].seq);

  SchedulerConfig config;
  config.slots = slots;
  config.timeout = opts.timeout;
  config.kill_after = opts.kill_after;
  config.retries = opts.retries;
  config.halt = opts.halt;
  config.keep_output = (!opts.quiet && !opts.line_buffer) || opts.results.has_value();
  config.base_env = current_environment();

  SchedulerHooks hooks;
  if (opts.line_buffer && !opts.quiet)
    hooks.chunk = [&](const JobResult& r, int stream, std::string_view d) {
      printer.chunk(r, stream, d);
    };
  hooks.finished = [&](const JobResult& r, Capture& out, Capture& err) {
    if (joblog) joblog->write(r);
    if (opts.results) write_results(*opts.results, r, out, err);
    printer.finished(r, out, err);
  };
  if (progress_on)
    hooks.tick = [&](std::size_t done, std::size_t running, std::size_t total) {
      progress.update(done, running, total);
    };

  PopenLauncher launcher;
  Scheduler scheduler(config, launcher, plan, hooks);
  RunReport report = scheduler.run(inputs.jobs, skip);
  for (const auto& r : report.results)
    if (!r.started) printer.nothing_for(r.seq);
  printer.flush();
  std::size_t ran = 0, to_run = 0;
  for (std::size_t i = 0; i < report.results.size(); ++i) {
    ran += report.results[i].started ? 1 : 0;
    to_run += skip.empty() || !skip[i] ? 1 : 0;
  }
  progress.update(ran, 0, to_run, /*force=*/true);  // the final state, whatever the throttle
  progress.clear();

  const int shown_slots = slots > 0 ? slots : static_cast<int>(inputs.jobs.size());
  const Totals totals = total(report.results, report.wall, report.interrupted_by, report.halted);
  int status = totals.exit_status;
  const auto report_step = [&](const char* what, const auto& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "concur run: %s: %s\n", what, e.what());
      if (status == 0) status = 255;
    }
  };
  if (opts.json) report_step("--json", [&] { write_json(*opts.json, report.results, totals); });
  if (opts.junit) report_step("--junit", [&] { write_junit(*opts.junit, report.results, totals); });
  if (opts.html)
    report_step("--html", [&] { write_html(*opts.html, report.results, totals, shown_slots); });
  const std::string summary = summary_text(report.results, totals);
  write_all(2, summary);
  return status;
}

}  // namespace

int run_main(int argc, char** argv) {
  Options opts;
  std::unique_ptr<Inputs> inputs;
  std::unique_ptr<CommandPlan> plan;
  try {
    opts = parse_options(argc, argv);
    if (opts.help) {
      std::fputs(usage_text(), stdout);
      return 0;
    }
    inputs = std::make_unique<Inputs>(collect_inputs(opts, 0));
    plan = std::make_unique<CommandPlan>(opts, inputs->group_count);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "concur run: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "concur run: %s\n", e.what());
    return 255;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a closed stdout is an EPIPE, not our death (jobs get SIG_DFL back)
  raise_fd_limit();
  try {
    return run_jobs(opts, *inputs, *plan);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "concur run: %s\n", e.what());
    return 255;
  }
}

}  // namespace concur::cli
