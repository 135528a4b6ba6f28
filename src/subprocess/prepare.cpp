// Popen's preparation in the parent: options, redirects, PATH, environment, ids (prepare.hpp).
#include "subprocess/prepare.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "concur/subprocess/errors.hpp"
#include "subprocess/credentials.hpp"

extern char** environ;  // NOLINT

namespace concur::subprocess::detail {
namespace {

using concur::detail::UniqueFd;

[[noreturn]] void invalid(const std::string& what) {
  throw std::invalid_argument("concur::subprocess::Popen: " + what);
}

void check_run_only_fields(const Options& o) {
  if (o.timeout)
    invalid(
        "'timeout' is read only by run() and call(); use wait(timeout) or "
        "communicate(input, timeout)");
  if (o.input) invalid("'input' is read only by run(); use communicate(input)");
  if (o.capture_output)
    invalid("'capture_output' is read only by run(); use out = PIPE, err = PIPE");
  if (o.check) invalid("'check' is read only by run(); test the returncode of wait()");
}

void check_env(const std::map<std::string, std::string>& env, const char* field) {
  for (const auto& [k, v] : env) {
    if (k.find('=') != std::string::npos || k.find('\0') != std::string::npos)
      invalid(std::string(field) + ": illegal environment variable name '" + k + "'");
    if (v.find('\0') != std::string::npos)
      invalid(std::string(field) + ": embedded NUL byte in the value of '" + k + "'");
  }
}

int open_devnull(Prepared& p) {
  if (!p.devnull) {
    p.devnull.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!p.devnull) throw SpawnError(errno, p.plan.program, "open '/dev/null'");
  }
  return p.devnull.get();
}

int make_child_pipe(int i, Prepared& p, std::size_t pipesize) {
  auto [read_end, write_end] = concur::detail::make_pipe();
  if (i == 0) {
    p.child_end[i] = std::move(read_end);
    p.ours[i] = std::move(write_end);
  } else {
    p.child_end[i] = std::move(write_end);
    p.ours[i] = std::move(read_end);
  }
  if (pipesize > 0 && ::fcntl(p.ours[i].get(), F_SETPIPE_SZ, static_cast<int>(pipesize)) < 0)
    throw SpawnError(errno, p.plan.program,
                     "fcntl(F_SETPIPE_SZ, " + std::to_string(pipesize) + ") for the pipesize");
  concur::detail::set_nonblocking(p.ours[i].get());
  return p.child_end[i].get();
}

// Returns the fd the child gets as stream `i` (-1 = inherit).
int prepare_stream(int i, const Redirect& redirect, Prepared& p, std::size_t pipesize) {
  if (const int* fd = std::get_if<int>(&redirect)) return *fd;
  if (const auto* path = std::get_if<std::filesystem::path>(&redirect)) {
    const int flags = i == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
    p.child_end[i].reset(::open(path->c_str(), flags | O_CLOEXEC, 0666));
    if (!p.child_end[i]) throw SpawnError(errno, p.plan.program, "open '" + path->string() + "'");
    return p.child_end[i].get();
  }
  switch (std::get<Stream>(redirect)) {
    case Stream::inherit:
      return -1;
    case Stream::devnull:
      return open_devnull(p);
    case Stream::to_stdout:
      if (i != 2) throw std::invalid_argument("concur::subprocess: STDOUT is only valid for err");
      return -1;
    case Stream::pipe:
      return make_child_pipe(i, p, pipesize);
  }
  return -1;
}

// Our environment as a map (the first of duplicate names wins, as getenv's).
std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

// plan.env and the PATH the program is searched in.
void prepare_env(Prepared& p, const Options& o) {
  std::optional<std::string> path;
  if (o.env || !o.extra_env.empty()) {
    auto env = o.env ? *o.env : current_environment();
    for (const auto& [k, v] : o.extra_env) env.insert_or_assign(k, v);
    p.env_entries.reserve(env.size());
    for (const auto& [k, v] : env) p.env_entries.push_back(k + "=" + v);
    p.plan.env = &p.env_entries;
    if (const auto it = env.find("PATH"); it != env.end()) path = it->second;
  } else if (const char* ours = std::getenv("PATH")) {
    path = ours;
  }
  p.plan.candidates = exec_candidates(p.plan.program, path ? path->c_str() : nullptr);
}

}  // namespace

void check_popen_options(const Options& o) {
  check_run_only_fields(o);
  if (o.env) check_env(*o.env, "env");
  check_env(o.extra_env, "extra_env");
  for (const auto& [resource, value] : o.rlimits) {
    if (resource < 0 || resource >= RLIM_NLIMITS)
      invalid("rlimits: unknown resource " + std::to_string(resource));
  }
  if (o.pipesize && *o.pipesize > static_cast<std::size_t>(INT_MAX))
    invalid("pipesize " + std::to_string(*o.pipesize) + " is too large");
}

void prepare(Prepared& p, const std::vector<std::string>& args, const Options& o) {
  SpawnPlan& plan = p.plan;
  if (o.shell) {
    plan.argv = {o.executable.value_or("/bin/sh"), "-c"};
    plan.argv.insert(plan.argv.end(), args.begin(), args.end());
    plan.program = plan.argv[0];
  } else {
    plan.argv = args;
    plan.program = o.executable.value_or(args[0]);
  }
  for (const auto& arg : plan.argv)
    if (arg.find('\0') != std::string::npos) invalid("embedded NUL byte in args");
  prepare_env(p, o);

  // Names first: an unknown user fails before any fd is opened.
  const Credentials ids = resolve_credentials(o, plan.program);
  plan.uid = ids.uid;
  plan.gid = ids.gid;
  if (ids.groups) {
    p.groups = *ids.groups;
    plan.groups = &p.groups;
  }
  if (!o.rlimits.empty()) {
    p.rlimits = o.rlimits;
    plan.rlimits = &p.rlimits;
  }

  const Redirect* redirects[3] = {&o.in, &o.out, &o.err};
  for (int i = 0; i < 3; ++i)
    plan.stdio[i] = prepare_stream(i, *redirects[i], p, o.pipesize.value_or(0));
  plan.err_to_stdout =
      std::holds_alternative<Stream>(o.err) && std::get<Stream>(o.err) == Stream::to_stdout;
  plan.close_fds = o.close_fds;
  plan.reset_ignored = o.reset_ignored_signals;
  plan.pass_fds = o.pass_fds;
  if (o.cwd) {
    p.cwd = o.cwd->string();
    plan.cwd = p.cwd.c_str();
  }
  plan.setsid = o.start_new_session;
  plan.pgid = o.process_group.value_or(-1);
  plan.umask = o.umask ? static_cast<int>(*o.umask & 0777) : -1;
}

}  // namespace concur::subprocess::detail
