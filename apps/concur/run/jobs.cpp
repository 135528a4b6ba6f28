#include "jobs.hpp"

#include <concur/shlex.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "concur/detail/core/fd.hpp"

namespace concur::cli::run {
namespace {

std::vector<std::string> split_lines(const std::string& data, bool comments) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < data.size()) {
    auto end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    std::string line = data.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (comments && line[first] == '#') continue;
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

Inputs collect_inputs(const Options& opts, int stdin_fd) {
  Inputs in;
  std::vector<std::vector<std::string>> groups = opts.groups;
  if (groups.empty()) {
    std::string data;
    if (opts.jobs_file) {
      const int fd = ::open(opts.jobs_file->c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        throw UsageError("cannot read jobs file '" + *opts.jobs_file +
                         "': " + std::strerror(errno));
      try {
        data = detail::read_to_end(fd);
      } catch (const std::system_error& e) {
        ::close(fd);
        throw UsageError("cannot read jobs file '" + *opts.jobs_file + "': " + e.code().message());
      }
      ::close(fd);
      groups.push_back(split_lines(data, true));
    } else {
      if (::isatty(stdin_fd))
        throw UsageError("no input: give ::: VALUES, --jobs-file FILE or pipe values on stdin");
      groups.push_back(split_lines(detail::read_to_end(stdin_fd), false));
    }
  }
  in.group_count = groups.size();
  std::size_t total = 1;
  for (const auto& g : groups) total *= g.size();
  in.jobs.reserve(total);
  std::vector<std::size_t> idx(groups.size(), 0);
  for (std::size_t seq = 1; seq <= total; ++seq) {
    JobSpec j;
    j.seq = seq;
    j.values.reserve(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) j.values.push_back(groups[g][idx[g]]);
    in.jobs.push_back(std::move(j));
    for (std::size_t g = groups.size(); g-- > 0;) {  // odometer, last group fastest
      if (++idx[g] < groups[g].size()) break;
      idx[g] = 0;
    }
  }
  return in;
}

CommandPlan::CommandPlan(const Options& opts, std::size_t group_count)
    : from_values_(opts.command.empty()), shell_(opts.shell || opts.command.empty()) {
  bool any = false;
  for (const auto& w : opts.command) {
    words_.push_back(Template::compile(w, group_count));
    any = any || words_.back().has_placeholder();
  }
  append_values_ = !from_values_ && !any;
  if (opts.cwd) cwd_ = Template::compile(*opts.cwd, group_count);
  for (const auto& [k, v] : opts.env) env_.emplace_back(k, Template::compile(v, group_count));
}

std::string CommandPlan::name_of(const JobSpec& job) const {
  return job.name.empty() ? expand(job, 0).display : job.name;
}

Command CommandPlan::expand(const JobSpec& job, int slot) const {
  if (job.fixed) {  // a discovered test: --cwd (unless it has its own) and --env still apply
    Command c = *job.fixed;
    if (cwd_ && !c.cwd) c.cwd = cwd_->expand(job.values, job.seq, slot, false);
    for (const auto& [k, t] : env_)
      c.env.emplace_back(k, t.expand(job.values, job.seq, slot, false));
    return c;
  }
  Command c;
  c.shell = shell_;
  if (from_values_) {
    std::string line;
    for (const auto& v : job.values) line += (line.empty() ? "" : " ") + v;
    c.argv = {line};
    c.display = line;
  } else if (shell_) {
    std::string line;
    for (const auto& w : words_) {
      if (!line.empty()) line += ' ';
      line += w.expand(job.values, job.seq, slot, /*quote=*/true);
    }
    if (append_values_)
      for (const auto& v : job.values) line += ' ' + concur::shlex::quote(v);
    c.argv = {line};
    c.display = line;
  } else {
    for (const auto& w : words_) c.argv.push_back(w.expand(job.values, job.seq, slot, false));
    if (append_values_)
      for (const auto& v : job.values) c.argv.push_back(v);
    c.display = concur::shlex::join(c.argv);
  }
  if (cwd_) c.cwd = cwd_->expand(job.values, job.seq, slot, false);
  for (const auto& [k, t] : env_) c.env.emplace_back(k, t.expand(job.values, job.seq, slot, false));
  return c;
}

}  // namespace concur::cli::run
