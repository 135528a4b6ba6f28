// concur run: the list of jobs (from ::: groups, --jobs-file or stdin lines) and
// how each job's command, working directory and environment are made from its values.
//
//   auto inputs = collect_inputs(opts, 0);          // throws UsageError (unreadable file...)
//   CommandPlan plan(opts, inputs.group_count);     // throws UsageError (bad placeholder)
//   Command c = plan.expand(inputs.jobs[0], /*slot=*/1);
//
// Thread safety: immutable after construction.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "options.hpp"
#include "template.hpp"

namespace concur::cli::run {

struct JobSpec {
  std::size_t seq;                  // 1-based, input order
  std::vector<std::string> values;  // one per ::: group
};

struct Inputs {
  std::vector<JobSpec> jobs;
  std::size_t group_count = 1;
};

/// Jobs from the ::: groups (cartesian product, first group slowest), else the
/// jobs file, else the lines read from `stdin_fd`. Blank lines and, in a jobs
/// file, '#' comments are skipped.
Inputs collect_inputs(const Options& opts, int stdin_fd);

/// One job's command, ready to launch.
struct Command {
  std::vector<std::string> argv;  // under shell: argv[0] is the whole command line
  bool shell = false;
  std::string display;  // as written in logs and reports
  std::optional<std::string> cwd;
  std::vector<std::pair<std::string, std::string>> env;
};

class CommandPlan {
 public:
  CommandPlan(const Options& opts, std::size_t group_count);
  Command expand(const JobSpec& job, int slot) const;

 private:
  bool from_values_ = false;  // no command given: each value is a shell command
  bool shell_ = false;
  bool append_values_ = false;
  std::vector<Template> words_;
  std::optional<Template> cwd_;
  std::vector<std::pair<std::string, Template>> env_;
};

}  // namespace concur::cli::run
