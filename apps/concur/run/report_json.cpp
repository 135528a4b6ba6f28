#include <fmt/format.h>

#include <algorithm>

#include "escape.hpp"
#include "reports.hpp"

namespace concur::cli::run {

nlohmann::json job_json(const JobResult& r) {
  nlohmann::json j = {
      {"seq", r.seq},
      {"name", r.name.empty() ? r.command : r.name},
      {"values", r.values},
      {"command", r.command},
      {"outcome", outcome_name(r.outcome)},
      {"started", r.started},
      {"slot", r.slot},
      {"attempts", r.attempts},
      {"start_time", r.start_epoch},
      {"start_offset_s", r.start_offset},
      {"runtime_s", r.runtime},
      {"exit_status", r.exit_status},
      {"signal", r.signal},
      {"stdout_bytes", r.stdout_bytes},
      {"stderr_bytes", r.stderr_bytes},
      {"stdout_tail", r.stdout_tail},
      {"stderr_tail", r.stderr_tail},
      {"output_held_open", r.output_held_open},
      {"flaky", r.flaky},
      {"leaky", r.leaky},
      {"leftovers", r.leftovers},
      {"slow", r.slow},
      {"labels", r.labels},
      {"host", r.host},
      {"repeat", r.repeat},
  };
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : r.failed_attempts)
    attempts.push_back({{"outcome", outcome_name(a.outcome)},
                        {"exit_status", a.exit_status},
                        {"signal", a.signal},
                        {"runtime_s", a.runtime},
                        {"stderr_tail", a.stderr_tail}});
  j["failed_attempts"] = std::move(attempts);
  j["cwd"] = r.cwd ? nlohmann::json(*r.cwd) : nlohmann::json(nullptr);
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.reason.empty()) j["reason"] = r.reason;
  return j;
}

nlohmann::json totals_json(const Totals& t) {
  return {{"jobs", t.jobs},
          {"passed", t.passed},
          {"failed", t.failed},
          {"timed_out", t.timed_out},
          {"skipped", t.skipped},
          {"interrupted", t.interrupted},
          {"flaky", t.flaky},
          {"leaky", t.leaky},
          {"slow", t.slow},
          {"wall_s", t.wall},
          {"job_time_s", t.job_time},
          {"speedup", t.wall > 0 ? t.job_time / t.wall : 0.0},
          {"exit_status", t.exit_status},
          {"halted", t.halted},
          {"interrupted_by_signal", t.interrupted_by}};
}

void write_json(const std::string& path, const std::vector<JobResult>& results, const Totals& t) {
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& r : results) jobs.push_back(job_json(r));
  const nlohmann::json doc = {{"tool", "concur run"}, {"summary", totals_json(t)}, {"jobs", jobs}};
  write_file(path, json_text(doc) + "\n");
}

}  // namespace concur::cli::run
