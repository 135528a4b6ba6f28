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
#include "verdict.hpp"

namespace concur::cli::run {

/// One job's command, ready to launch.
struct Command {
  std::vector<std::string> argv;  // under shell: argv[0] is the whole command line
  bool shell = false;
  std::string display;  // as written in logs and reports
  std::optional<std::string> cwd;
  std::vector<std::pair<std::string, std::string>> env;
};

struct JobSpec {
  std::size_t seq = 0;                   // 1-based, input order
  std::vector<std::string> values = {};  // one per ::: group
  // A discovered test (--gtest, --ctest, --pytest): its own command and properties.
  std::string name = {};                  // the test's name ("" = the expanded command)
  std::optional<Command> fixed = {};      // the command, instead of the plan's expansion
  std::optional<Seconds> timeout = {};    // ctest TIMEOUT: instead of --timeout
  bool serial = false;                    // ctest RUN_SERIAL: runs with no other job
  int processors = 1;                     // ctest PROCESSORS: slots the job takes
  bool disabled = false;                  // gtest DISABLED_, ctest DISABLED: reported skipped
  std::vector<std::string> labels = {};   // ctest LABELS
  std::vector<std::string> locks = {};    // ctest RESOURCE_LOCK: never two holders at once
  std::vector<std::string> depends = {};  // ctest DEPENDS: start after these (by name)
  std::vector<std::string> fixtures_setup = {}, fixtures_required = {}, fixtures_cleanup = {};
  PassRules rules = {};  // ctest WILL_FAIL, SKIP_RETURN_CODE, *_REGULAR_EXPRESSION, REQUIRED_FILES
  std::size_t repeat = 0;  // --repeat: which run of the job (0-based)
};

struct Inputs {
  std::vector<JobSpec> jobs;
  std::size_t group_count = 1;
};

/// Jobs from the ::: groups (cartesian product, first group slowest), else the
/// jobs file, else the lines read from `stdin_fd`. Blank lines and, in a jobs
/// file, '#' comments are skipped.
Inputs collect_inputs(const Options& opts, int stdin_fd);

class CommandPlan {
 public:
  CommandPlan(const Options& opts, std::size_t group_count);
  /// The job's command in slot `slot` (a discovered test's fixed command as it is).
  Command expand(const JobSpec& job, int slot) const;
  /// The job's name: a test's name, else its command as displayed (slot 0).
  std::string name_of(const JobSpec& job) const;

 private:
  bool from_values_ = false;  // no command given: each value is a shell command
  bool shell_ = false;
  bool append_values_ = false;
  std::vector<Template> words_;
  std::optional<Template> cwd_;
  std::vector<std::pair<std::string, Template>> env_;
};

}  // namespace concur::cli::run
