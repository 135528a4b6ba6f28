#include "concur/multiprocessing/process.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "concur/detail/core/cpu.hpp"
#include "concur/detail/core/deadline.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::multiprocessing {
namespace {

// The started Process children, for active_children().
struct Children {
  std::mutex mutex;
  std::vector<std::weak_ptr<detail::WorkerLink>> links;
};
Children& children() {
  static auto* c = new Children;  // leaked: used by forked children too
  return *c;
}

}  // namespace

namespace detail {
std::string next_process_name() {
  static std::atomic<unsigned> counter{0};
  return "Process-" + std::to_string(++counter);
}
}  // namespace detail

Process::~Process() {
  if (!link_) return;
  if (options_.daemon) link_->kill(SIGTERM);
  link_->wait_exit();
}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;

void Process::check_open() const {
  if (closed_) throw std::invalid_argument("concur::multiprocessing: process object is closed");
}

void Process::start() {
  check_open();
  if (link_) throw ProcessError("concur::multiprocessing: cannot start a process twice");
  if (detail::own_identity().daemon)
    throw ProcessError(
        "concur::multiprocessing: daemonic processes are not allowed to have children");
  link_ = detail::WorkerLink::start(options_.start_method.value_or(get_start_method()));
  detail::Message who = detail::identity_message(options_.name, options_.daemon);
  // A child that died at once shows in exitcode().
  if (link_->send(who)) link_->send(call_);
  call_ = detail::Message{};
  link_->close_channel();
  std::lock_guard lock(children().mutex);
  std::erase_if(children().links, [](const auto& w) { return w.expired(); });
  children().links.push_back(link_);
}

void Process::join() {
  check_open();
  if (!link_) throw ProcessError("concur::multiprocessing: can only join a started process");
  link_->wait_exit();
}

bool Process::join_for(Duration timeout) {
  check_open();
  if (!link_) throw ProcessError("concur::multiprocessing: can only join a started process");
  const auto deadline = concur::detail::Deadline::after(timeout);
  for (;;) {
    if (link_->try_exit()) return true;
    if (deadline.expired()) return false;
    if (link_->exit_fd() >= 0)
      detail::wait_readable(link_->exit_fd(), deadline.poll_ms());
    else
      ::usleep(1000);  // no pidfd (very old kernel): poll
  }
}

bool Process::is_alive() {
  check_open();
  return link_ && !link_->try_exit();
}

std::optional<int> Process::exitcode() const {
  check_open();
  if (!link_) return std::nullopt;
  return link_->try_exit();
}

pid_t Process::pid() const {
  check_open();
  return link_ ? link_->pid() : 0;
}

void Process::terminate() {
  check_open();
  if (link_) link_->kill(SIGTERM);
}

void Process::kill() {
  check_open();
  if (link_) link_->kill(SIGKILL);
}

void Process::close() {
  if (closed_) return;
  if (link_ && !link_->try_exit())
    throw std::invalid_argument(
        "concur::multiprocessing: Cannot close a process while it is still running. You should "
        "first call join() or terminate().");
  link_.reset();
  closed_ = true;
}

int Process::sentinel() const {
  check_open();
  if (!link_) throw ProcessError("concur::multiprocessing: sentinel of a process not started");
  return link_->pidfd() >= 0 ? link_->pidfd() : link_->exit_fd();
}

ProcessInfo current_process() { return {detail::own_identity().name, ::getpid()}; }

std::optional<ProcessInfo> parent_process() {
  const detail::ProcessIdentity id = detail::own_identity();
  if (id.parent_pid == 0) return std::nullopt;
  return ProcessInfo{id.parent_name, static_cast<pid_t>(id.parent_pid)};
}

std::vector<pid_t> active_children() {
  std::vector<std::shared_ptr<detail::WorkerLink>> live;
  {
    std::lock_guard lock(children().mutex);
    std::erase_if(children().links, [](const auto& w) { return w.expired(); });
    for (auto& w : children().links)
      if (auto l = w.lock()) live.push_back(std::move(l));
  }
  std::vector<pid_t> pids;
  for (auto& l : live)
    if (!l->try_exit()) pids.push_back(l->pid());
  return pids;
}

unsigned cpu_count() { return concur::detail::usable_cpu_count(); }

namespace detail {
namespace {

ProcessIdentity& identity() {
  static auto* id = new ProcessIdentity;  // leaked: forked children read it
  return *id;
}

}  // namespace

// Written once in a new worker (set_identity), before any user code runs there; read after.
ProcessIdentity own_identity() { return identity(); }

Message identity_message(const std::string& name, bool daemon) {
  const ProcessIdentity me = own_identity();
  ProcessIdentity child;
  child.name = name;
  child.daemon = daemon;
  child.parent_name = me.name;
  child.parent_pid = ::getpid();
  Message m;
  m.kind = Kind::identity;
  write_values(m.body, m.fds, child);
  return m;
}

void set_identity(const Message& m) {
  try {
    Reader reader(m.body.view(), m.fds);
    identity() = reader.read<ProcessIdentity>();
  } catch (...) {  // keep the old identity
  }
}

}  // namespace detail
}  // namespace concur::multiprocessing
