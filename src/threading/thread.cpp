// concur::threading::Thread: a std::thread that starts on start(), carries its target's
// exception to join(), has a name the OS can show, and is listed by enumerate() while it runs.
#include <pthread.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>

#include "concur/detail/core/deadline.hpp"
#include "concur/threading/thread.hpp"
#include "thread_state.hpp"

namespace concur::threading {

using detail::ThreadState;

namespace {

// Linux keeps 15 bytes + NUL; cut at a UTF-8 character boundary so tools show valid text.
std::string os_name(const std::string& name) {
  if (name.size() <= 15) return name;
  std::size_t n = 15;
  while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;
  return name.substr(0, n);
}

void run_thread(const std::shared_ptr<ThreadState>& s) {
  detail::set_current_state(s.get());
  {
    LockGuard lk(s->m);
    pthread_setname_np(pthread_self(), os_name(s->name).c_str());
    s->tid = ::gettid();
  }
  s->running.set(false);
  std::exception_ptr error;
  try {
    s->target->run();
  } catch (...) {
    error = std::current_exception();
  }
  s->target.reset();  // the target's captures die on its own thread, before join() returns
  detail::unregister_thread(s.get());
  bool report = false;
  std::string name;
  std::uint64_t ident = 0;
  {
    LockGuard lk(s->m);
    s->exception = error;
    s->finished = true;
    // A detached daemon has nobody left to join it: report here, as Python's excepthook would.
    if (error && s->detached) {
      report = true;
      s->exception_seen = true;
      name = s->name;
      ident = s->ident;
    }
  }
  s->done.set(false);
  if (report) detail::report_exception(error, name, ident);
  detail::set_current_state(nullptr);
}

// After `done`: joins the std::thread once, then rethrows the target's exception.
void finish_join(ThreadState& s) {
  {
    LockGuard jl(s.join_m);
    bool orphaned;
    {
      LockGuard lk(s.m);
      orphaned = s.orphaned;
    }
    if (s.thread.joinable() && !orphaned) s.thread.join();
  }
  std::exception_ptr error;
  {
    LockGuard lk(s.m);
    error = s.exception;
    if (error) s.exception_seen = true;
  }
  if (error) std::rethrow_exception(error);
}

void check_joinable(const ThreadState& s) {
  LockGuard lk(s.m);
  if (!s.started) throw std::logic_error("cannot join thread before it is started");
  if (detail::current_state() == &s) throw std::logic_error("cannot join current thread");
}

}  // namespace

Thread::Thread(ThreadOptions options, std::unique_ptr<concur::detail::Target> target)
    : state_(std::make_shared<ThreadState>()) {
  state_->target = std::move(target);
  LockGuard lk(state_->m);  // uncontended: nobody else sees the state yet
  state_->name = options.name.empty() ? "Thread-" + std::to_string(detail::next_thread_number())
                                      : std::move(options.name);
  state_->daemon = options.daemon;
}

Thread::Thread(Thread&&) noexcept = default;

Thread::~Thread() {
  if (!state_) return;  // moved from
  auto& s = *state_;
  bool report = false;
  std::string name;
  std::exception_ptr error;
  std::uint64_t ident = 0;
  {
    LockGuard jl(s.join_m);
    bool orphaned;
    {
      LockGuard lk(s.m);
      orphaned = s.orphaned;
    }
    if (orphaned) {
      // fork()ed child: no OS thread to join or detach; std::thread must not see a joinable
      // destruction (std::terminate), so its handle is abandoned.
      if (s.thread.joinable()) new std::thread(std::move(s.thread));
    } else if (s.thread.joinable()) {
      bool daemon;
      {
        LockGuard lk(s.m);
        daemon = s.daemon;
        if (daemon) s.detached = true;  // from here on the thread reports its own exception
      }
      if (daemon)
        s.thread.detach();
      else
        s.thread.join();
    }
  }
  {
    LockGuard lk(s.m);
    if (s.finished && s.exception && !s.exception_seen) {
      s.exception_seen = true;
      report = true;
      name = s.name;
      error = s.exception;
      ident = s.ident;
    }
  }
  if (report) detail::report_exception(error, name, ident);
}

void Thread::start() {
  auto& s = *state_;
  {
    LockGuard lk(s.m);
    if (s.started) throw std::logic_error("threads can only be started once");
    detail::register_thread(state_);
    try {
      s.thread = std::thread(run_thread, state_);
    } catch (...) {
      detail::unregister_thread(&s);
      throw;
    }
    s.ident = static_cast<std::uint64_t>(s.thread.native_handle());
    s.started = true;
  }
  // As Python's start(): return once the thread runs, with its native_id and OS name in place.
  s.running.wait_until(concur::detail::Deadline::never(), false);
}

void Thread::join() {
  auto& s = *state_;
  check_joinable(s);
  s.done.wait_until(concur::detail::Deadline::never(), false);
  finish_join(s);
}

bool Thread::join_for(Duration timeout) {
  concur::detail::check_timeout(timeout);
  auto& s = *state_;
  check_joinable(s);
  if (!s.done.wait_until(concur::detail::Deadline::after(timeout), false)) return false;
  finish_join(s);
  return true;
}

bool Thread::is_alive() const {
  LockGuard lk(state_->m);
  return state_->started && !state_->finished;
}

std::string Thread::name() const {
  LockGuard lk(state_->m);
  return state_->name;
}

void Thread::set_name(std::string name) {
  auto& s = *state_;
  LockGuard lk(s.m);
  s.name = std::move(name);
  // Until `finished` (checked under s.m) the thread has been neither joined nor detached (the
  // Thread object is alive): its handle is valid.
  if (s.started && !s.finished && !s.orphaned)
    pthread_setname_np(s.thread.native_handle(), os_name(s.name).c_str());
}

bool Thread::daemon() const {
  LockGuard lk(state_->m);
  return state_->daemon;
}

void Thread::set_daemon(bool daemon) {
  LockGuard lk(state_->m);
  if (state_->started) throw std::logic_error("cannot set daemon status of active thread");
  state_->daemon = daemon;
}

std::optional<std::uint64_t> Thread::ident() const {
  LockGuard lk(state_->m);
  if (!state_->started) return std::nullopt;
  return state_->ident;
}

std::optional<pid_t> Thread::native_id() const {
  LockGuard lk(state_->m);
  if (!state_->started || state_->tid == 0) return std::nullopt;
  return state_->tid;
}

}  // namespace concur::threading
