// Popen: preparing a spawn (redirects, PATH, environment), waiting, signals.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "concur/subprocess.hpp"
#include "subprocess/spawn.hpp"
#include "subprocess/state.hpp"

namespace concur::subprocess {
namespace {

using detail::UniqueFd;

// The fds one spawn opens: the child's ends are closed once it has exec'd.
struct Redirects {
  UniqueFd child_end[3];
  UniqueFd ours[3];
  UniqueFd devnull;
};

int open_devnull(Redirects& r, const std::string& program) {
  if (!r.devnull) {
    r.devnull.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!r.devnull) throw SpawnError(errno, program, "open '/dev/null'");
  }
  return r.devnull.get();
}

// Returns the fd the child gets as stream `i` (-1 = inherit).
int prepare_stream(int i, const Redirect& redirect, Redirects& r, const std::string& program) {
  if (const int* fd = std::get_if<int>(&redirect)) return *fd;
  if (const auto* path = std::get_if<std::filesystem::path>(&redirect)) {
    const int flags = i == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
    r.child_end[i].reset(::open(path->c_str(), flags | O_CLOEXEC, 0666));
    if (!r.child_end[i]) throw SpawnError(errno, program, "open '" + path->string() + "'");
    return r.child_end[i].get();
  }
  switch (std::get<Stream>(redirect)) {
    case Stream::inherit:
      return -1;
    case Stream::devnull:
      return open_devnull(r, program);
    case Stream::to_stdout:
      if (i != 2) throw std::invalid_argument("concur::subprocess: STDOUT is only valid for err");
      return -1;
    case Stream::pipe: {
      auto [read_end, write_end] = detail::make_pipe();
      if (i == 0) {
        r.child_end[i] = std::move(read_end);
        r.ours[i] = std::move(write_end);
      } else {
        r.child_end[i] = std::move(write_end);
        r.ours[i] = std::move(read_end);
      }
      detail::set_nonblocking(r.ours[i].get());
      return r.child_end[i].get();
    }
  }
  return -1;
}

}  // namespace

Popen::Popen(std::vector<std::string> args, Options options) : state_(std::make_unique<State>()) {
  if (args.empty()) throw std::invalid_argument("concur::subprocess::Popen: empty args");
  detail::SpawnPlan plan;
  if (options.shell) {
    plan.argv = {options.executable.value_or("/bin/sh"), "-c"};
    plan.argv.insert(plan.argv.end(), args.begin(), args.end());
    plan.program = plan.argv[0];
  } else {
    plan.argv = args;
    plan.program = options.executable.value_or(args[0]);
  }
  std::vector<std::string> env_entries;
  const char* path = nullptr;
  if (options.env) {
    for (const auto& [k, v] : *options.env) env_entries.push_back(k + "=" + v);
    plan.env = &env_entries;
    const auto it = options.env->find("PATH");
    if (it != options.env->end()) path = it->second.c_str();
  } else {
    path = std::getenv("PATH");
  }
  plan.candidates = detail::exec_candidates(plan.program, path);

  Redirects r;
  const Redirect* redirects[3] = {&options.in, &options.out, &options.err};
  for (int i = 0; i < 3; ++i) plan.stdio[i] = prepare_stream(i, *redirects[i], r, plan.program);
  plan.err_to_stdout = std::holds_alternative<Stream>(options.err) &&
                       std::get<Stream>(options.err) == Stream::to_stdout;
  plan.close_fds = options.close_fds;
  plan.pass_fds = options.pass_fds;
  const std::string cwd = options.cwd ? options.cwd->string() : std::string();
  if (options.cwd) plan.cwd = cwd.c_str();
  plan.setsid = options.start_new_session;
  plan.pgid = options.process_group.value_or(-1);
  plan.umask = options.umask ? static_cast<int>(*options.umask & 0777) : -1;

  auto spawned = detail::spawn(plan);  // throws SpawnError; Redirects closes everything then

  State& s = *state_;
  s.args = std::move(args);
  s.pid = spawned.pid;
  s.pidfd = std::move(spawned.pidfd);
  s.text = options.text;
  s.leads_group = options.start_new_session || options.process_group == 0;
  PipeStream* streams[3] = {&s.in, &s.out, &s.err};
  for (int i = 0; i < 3; ++i) {
    s.piped[i] = r.ours[i].get() >= 0;
    PopenAccess::fd(*streams[i]) = r.ours[i].release();
    PopenAccess::text(*streams[i]) = options.text;
  }
}

Popen::~Popen() {
  if (!state_) return;
  try {
    state_->out.close();
    state_->err.close();
    state_->in.close();
    state_->wait_until(std::nullopt);
  } catch (...) {  // a destructor never throws
  }
}

Popen::Popen(Popen&&) noexcept = default;
Popen& Popen::operator=(Popen&& other) noexcept {
  if (this != &other) {
    Popen old(std::move(*this));  // waits for our current child, as destruction would
    state_ = std::move(other.state_);
  }
  return *this;
}

pid_t Popen::pid() const { return state_->pid; }
const std::vector<std::string>& Popen::args() const { return state_->args; }
std::optional<int> Popen::returncode() const { return state_->returncode; }

std::optional<int> Popen::poll() {
  state_->reap_nohang();
  return state_->returncode;
}

int Popen::wait(std::optional<Duration> timeout) {
  if (!state_->wait_until(deadline_after(timeout))) throw TimeoutExpired(state_->args, *timeout);
  return *state_->returncode;
}

std::optional<int> Popen::wait_for(Duration timeout) {
  try {
    if (!state_->wait_until(deadline_after(timeout))) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  return state_->returncode;
}

void Popen::send_signal(int sig) {
  State& s = *state_;
  if (s.reaped.load()) return;
  if (s.pidfd) {
    if (syscall(SYS_pidfd_send_signal, s.pidfd.get(), sig, nullptr, 0) == 0 || errno == ESRCH)
      return;
    if (errno != ENOSYS) detail::throw_errno("pidfd_send_signal");
  }
  if (::kill(s.pid, sig) != 0 && errno != ESRCH) detail::throw_errno("kill");
}

void Popen::terminate() { send_signal(SIGTERM); }
void Popen::kill() { send_signal(SIGKILL); }

PipeStream& Popen::in() {
  if (!state_->piped[0]) throw std::logic_error("concur::subprocess::Popen: in is not piped");
  return state_->in;
}
PipeStream& Popen::out() {
  if (!state_->piped[1]) throw std::logic_error("concur::subprocess::Popen: out is not piped");
  return state_->out;
}
PipeStream& Popen::err() {
  if (!state_->piped[2]) throw std::logic_error("concur::subprocess::Popen: err is not piped");
  return state_->err;
}

// ---- State: waiting and killing ----

void Popen::State::set_status(int status) {
  if (WIFEXITED(status)) {
    returncode = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    returncode = -WTERMSIG(status);
  } else {
    return;  // stopped/continued: not an end
  }
  reaped.store(true);
}

bool Popen::State::reap_nohang() {
  if (returncode) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid) set_status(status);
  if (r < 0 && errno == ECHILD) {  // reaped behind our back (SIGCHLD ignored): Python says 0
    returncode = 0;
    reaped.store(true);
  }
  return returncode.has_value();
}

bool Popen::State::wait_until(std::optional<Clock::time_point> deadline) {
  if (reap_nohang()) return true;
  if (!deadline) {
    while (!returncode) {
      int status = 0;
      const pid_t r = ::waitpid(pid, &status, 0);
      if (r == pid) set_status(status);
      if (r < 0 && errno == ECHILD) reap_nohang();
      if (r < 0 && errno != EINTR && errno != ECHILD) detail::throw_errno("waitpid");
    }
    return true;
  }
  auto backoff = std::chrono::microseconds(500);
  while (!reap_nohang()) {
    const auto left = *deadline - Clock::now();
    if (left <= Clock::duration::zero()) return false;
    if (pidfd) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                        static_cast<long>(ns % 1'000'000'000)};
      pollfd p{pidfd.get(), POLLIN, 0};
      if (::ppoll(&p, 1, &ts, nullptr) < 0 && errno != EINTR) detail::throw_errno("ppoll(pidfd)");
    } else {  // no pidfd (kernel < 5.3): a short sleep loop is the only portable way
      std::this_thread::sleep_for(std::min<Clock::duration>(backoff, left));
      backoff = std::min(backoff * 2, std::chrono::microseconds(50'000));
    }
  }
  return true;
}

void Popen::State::kill_tree(bool group) {
  if (group && leads_group) {
    // The group id outlives the leader while members remain, so this cannot hit a recycled pid.
    ::killpg(pid, SIGKILL);
  }
  if (reaped.load()) return;
  if (!pidfd || syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0)
    ::kill(pid, SIGKILL);
}

}  // namespace concur::subprocess
