// concur run: parse and validate everything (exit 2 before any job starts), find the jobs
// (values, a jobs file, stdin or a test suite), select, order them from the history, run
// them through the scheduler and write the records, reports, history and summary.
#include <concur/detail/core/cpu.hpp>
#include <concur/shlex.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <set>
#include <string>

#include "commands.hpp"
#include "discover.hpp"
#include "history.hpp"
#include "jobs.hpp"
#include "launcher.hpp"
#include "options.hpp"
#include "printer.hpp"
#include "progress.hpp"
#include "remote_launcher.hpp"
#include "reports.hpp"
#include "scheduler.hpp"
#include "selection.hpp"
#include "slurm_launcher.hpp"
#include "ssh_launcher.hpp"

namespace concur::cli {
namespace {

using namespace concur::cli::run;

// -j 0 (one slot per job) can need two pipes per job: allow what the hard limit allows.
void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

void say(const std::string& line) { write_all(2, "concur run: " + line + "\n"); }

// What runs: the jobs (filtered, partitioned, repeated), their names and the start order.
struct Plan {
  std::vector<JobSpec> jobs;
  std::vector<std::string> names;
  std::vector<std::size_t> order;
  std::optional<std::string> history_path;
  History history;
};

Plan plan_jobs(const Options& opts, std::vector<JobSpec> all, const CommandPlan& commands) {
  Plan p;
  std::vector<std::string> all_names;
  all_names.reserve(all.size());
  for (const auto& j : all) all_names.push_back(commands.name_of(j));
  for (const std::size_t i : select_jobs(all, all_names, opts.filters, opts.partition))
    p.jobs.push_back(std::move(all[i]));
  p.jobs = repeat_jobs(p.jobs, opts.repeat);
  for (const auto& j : p.jobs) p.names.push_back(commands.name_of(j));
  if (opts.history)
    p.history_path = opts.history;
  else if (opts.discovers() && !opts.no_history)
    p.history_path = ".concur/history.json";
  if (p.history_path && !opts.list) {  // --dry-run shows the order a run would take
    p.history = History::load(*p.history_path, [](const std::string& w) { say("warning: " + w); });
    p.order = longest_first(p.names, p.history);
  } else {
    for (std::size_t i = 0; i < p.jobs.size(); ++i) p.order.push_back(i);
  }
  // RUN_SERIAL jobs first: each runs alone, then the rest fill every slot.
  std::stable_partition(p.order.begin(), p.order.end(),
                        [&](std::size_t i) { return p.jobs[i].serial; });
  return p;
}

int list_jobs(const Plan& p, const CommandPlan& commands) {
  for (std::size_t i = 0; i < p.jobs.size(); ++i) {
    if (p.jobs[i].disabled) continue;
    std::string line = p.names[i] + "\t" + commands.expand(p.jobs[i], 1).display;
    for (char& c : line)  // one line per job, whatever names contain
      if (c == '\n' || c == '\r') c = ' ';
    write_all(1, line + "\n");
  }
  return 0;
}

int dry_run(const Plan& p, const CommandPlan& commands, int slots) {
  const std::size_t n = slots > 0 ? static_cast<std::size_t>(slots) : p.jobs.size();
  for (std::size_t k = 0; k < p.order.size(); ++k) {
    const JobSpec& job = p.jobs[p.order[k]];
    if (job.disabled) continue;
    const Command c = commands.expand(job, static_cast<int>(k % std::max<std::size_t>(1, n)) + 1);
    std::string line = c.display;
    if (c.cwd) line = "(cd " + shlex::quote(*c.cwd) + " && " + line + ")";
    write_all(1, line + "\n");
  }
  return 0;
}

// Records this run's durations (written even for an interrupted run: what finished is known).
void save_history(Plan& p, const std::vector<JobResult>& results) {
  if (!p.history_path || !p.history.writable()) return;
  for (const auto& r : results)
    if (r.started && r.outcome != Outcome::interrupted && r.error.empty())
      p.history.record(r.name, r.runtime);
  try {
    p.history.save(*p.history_path);
  } catch (const std::exception& e) {
    say("warning: --history: " + std::string(e.what()));
  }
}

// Where the jobs run: this machine, the -S/--sshlogin hosts, or Slurm steps.
std::unique_ptr<Launcher> make_launcher(const Options& opts) {
  if (opts.slurm) return std::make_unique<SlurmLauncher>(*opts.slurm);
  std::vector<SshLogin> logins;
  for (const auto& list : opts.sshlogins)
    for (auto& l : parse_sshlogins(list)) logins.push_back(std::move(l));
  if (opts.sshloginfile)
    for (auto& l : read_sshloginfile(*opts.sshloginfile)) logins.push_back(std::move(l));
  if (logins.empty()) return std::make_unique<PopenLauncher>();
  return std::make_unique<RemoteLauncher>(std::move(logins), opts.ssh, opts.kill_after.count(),
                                          opts.jobs);
}

int run_jobs(const Options& opts, Plan& p, const CommandPlan& commands) {
  const int slots = opts.jobs.value_or(static_cast<int>(concur::detail::usable_cpu_count()));
  if (opts.list) return list_jobs(p, commands);
  if (opts.dry_run) return dry_run(p, commands, slots);
  if (opts.resume) {
    const auto ok = joblog_succeeded(*opts.joblog);
    std::erase_if(p.order, [&](std::size_t i) { return ok.count(p.jobs[i].seq) > 0; });
  }
  std::unique_ptr<Joblog> joblog;
  if (opts.joblog) joblog = std::make_unique<Joblog>(*opts.joblog, opts.resume);
  if (opts.results) make_directories(*opts.results);

  const bool progress_on = opts.progress.value_or(!opts.quiet && ::isatty(2) == 1);
  Progress progress(2, progress_on);
  Printer printer({.quiet = opts.quiet,
                   .keep_order = opts.keep_order,
                   .tag = opts.tag,
                   .line_buffer = opts.line_buffer,
                   .failures_only = opts.discovers()},
                  &progress);
  std::vector<bool> in_order(p.jobs.size(), false);
  for (const std::size_t i : p.order) in_order[i] = !p.jobs[i].disabled;
  for (std::size_t i = 0; i < p.jobs.size(); ++i)
    if (!in_order[i]) printer.nothing_for(p.jobs[i].seq);

  SchedulerConfig config;
  config.slots = slots;
  config.timeout = opts.timeout;
  config.kill_after = opts.kill_after;
  config.leak_timeout = opts.leak_timeout;
  config.allow_leaks = opts.allow_leaks;
  config.slow = opts.slow;
  config.retries = opts.retries;
  config.halt = opts.halt;
  config.keep_output = (!opts.quiet && !opts.line_buffer) || opts.results.has_value();
  if (p.history_path) {
    config.expected.resize(p.jobs.size(), -1);
    for (std::size_t i = 0; i < p.jobs.size(); ++i)
      config.expected[i] = p.history.expected(p.names[i]).value_or(-1);
  }

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
  hooks.slow = [&](const JobResult& r, double elapsed) {
    progress.clear();
    say(fmt::format("SLOW #{} {}: still running after {:.1f}s", r.seq, r.name, elapsed));
  };
  if (progress_on) hooks.tick = [&](const Snapshot& s) { progress.update(s); };

  std::unique_ptr<Launcher> launcher = make_launcher(opts);
  Scheduler scheduler(config, *launcher, commands, hooks);
  RunReport report = scheduler.run(p.jobs, p.order);
  for (const auto& r : report.results)
    if (!r.started) printer.nothing_for(r.seq);
  printer.flush();
  Snapshot last;
  for (const auto& r : report.results) last.done += r.started ? 1 : 0;
  last.total = p.order.size();
  last.elapsed_s = report.wall;
  progress.update(last, /*force=*/true);  // the final state, whatever the throttle
  progress.clear();
  save_history(p, report.results);

  int shown_slots = 0;
  for (const auto& t : launcher->targets())
    shown_slots += t.slots > 0 ? t.slots : slots > 0 ? slots : static_cast<int>(p.jobs.size());
  const Totals totals = total(report.results, report.wall, report.interrupted_by, report.halted);
  int status = totals.exit_status;
  const auto report_step = [&](const char* what, const auto& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      say(std::string(what) + ": " + e.what());
      if (status == 0) status = 255;
    }
  };
  if (opts.json) report_step("--json", [&] { write_json(*opts.json, report.results, totals); });
  if (opts.junit) report_step("--junit", [&] { write_junit(*opts.junit, report.results, totals); });
  if (opts.html)
    report_step("--html", [&] { write_html(*opts.html, report.results, totals, shown_slots); });
  write_all(2, summary_text(report.results, totals));
  return status;
}

class RunCommand : public Subcommand {
 public:
  explicit RunCommand(CLI::App& app) : app_(app), cl_(app) {}
  CLI::App& app() override { return app_; }

  int run() override {
    Options opts;
    std::vector<JobSpec> jobs;
    std::unique_ptr<CommandPlan> commands;
    try {
      opts = cl_.finish();
      if (opts.discovers()) {
        jobs = discover(opts);
        commands = std::make_unique<CommandPlan>(opts, 1);
      } else {
        Inputs inputs = collect_inputs(opts, 0);
        commands = std::make_unique<CommandPlan>(opts, inputs.group_count);
        jobs = std::move(inputs.jobs);
      }
    } catch (const UsageError& e) {
      say(e.what());
      return 2;
    } catch (const DiscoveryError& e) {
      say(e.what());
      return 2;
    } catch (const std::exception& e) {
      say(e.what());
      return 255;
    }
    ::signal(SIGPIPE, SIG_IGN);  // a closed stdout is an EPIPE, not our death
    raise_fd_limit();
    try {
      Plan p = plan_jobs(opts, std::move(jobs), *commands);
      return run_jobs(opts, p, *commands);
    } catch (const std::exception& e) {
      say(e.what());
      return 255;
    }
  }

 private:
  CLI::App& app_;
  RunCommandLine cl_;
};

}  // namespace

std::unique_ptr<Subcommand> add_run_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "run", "run many commands or test suites in parallel, with timeouts and reports");
  return std::make_unique<RunCommand>(*app);
}

}  // namespace concur::cli
