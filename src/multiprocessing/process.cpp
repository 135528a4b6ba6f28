#include "concur/multiprocessing/process.hpp"

#include <signal.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "multiprocessing/worker_link.hpp"

#include "concur/detail/core/cpu.hpp"

namespace concur::multiprocessing {

Process::~Process() {
  if (link_) link_->wait_exit();
}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;

void Process::start() {
  if (link_) throw ProcessError("concur::multiprocessing: cannot start a process twice");
  link_ = detail::WorkerLink::start(get_start_method());
  detail::Message m;
  m.kind = detail::Kind::process_task;
  m.a = trampoline_;
  m.b = fn_;
  m.body = std::move(body_);
  m.fds = std::move(fds_);
  link_->send(m);  // a child that died at once shows in exitcode()
  link_->close_channel();
}

void Process::join() {
  if (!link_) throw ProcessError("concur::multiprocessing: can only join a started process");
  link_->wait_exit();
}

bool Process::join_for(Duration timeout) {
  if (!link_) throw ProcessError("concur::multiprocessing: can only join a started process");
  if (link_->try_exit()) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration<double, std::milli>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return link_->try_exit().has_value();
    if (link_->exit_fd() >= 0)
      detail::wait_readable(link_->exit_fd(), static_cast<int>(std::ceil(left.count())));
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no pidfd: poll
    if (link_->try_exit()) return true;
  }
}

bool Process::is_alive() { return link_ && !link_->try_exit(); }

std::optional<int> Process::exitcode() const {
  if (!link_) return std::nullopt;
  return link_->try_exit();
}

pid_t Process::pid() const { return link_ ? link_->pid() : 0; }

void Process::terminate() {
  if (link_) link_->kill(SIGTERM);
}

void Process::kill() {
  if (link_) link_->kill(SIGKILL);
}

unsigned cpu_count() { return concur::detail::usable_cpu_count(); }

}  // namespace concur::multiprocessing
