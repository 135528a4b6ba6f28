// concur::threading::Thread: a std::thread that starts on start(), carries its target's
// exception to join(), and has a name the OS can show.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "concur/threading.hpp"

namespace concur::threading {
namespace detail {

struct ThreadState {
  std::unique_ptr<concur::detail::Target> target;
  std::thread thread;

  mutable concur::detail::Mutex m;  // guards everything below
  concur::detail::CondVar done_cv;
  std::string name;
  bool started = false, done = false, exception_seen = false;
  std::exception_ptr exception;
  std::thread::id id;
  long tid = 0;

  std::mutex join_m;  // serialises std::thread::join between concurrent joiners
};

}  // namespace detail

namespace {

std::atomic<unsigned> g_running{0};
std::atomic<unsigned> g_counter{0};

// Linux keeps 15 bytes + NUL; cut at a UTF-8 character boundary so tools show valid text.
std::string os_name(const std::string& name) {
  if (name.size() <= 15) return name;
  std::size_t n = 15;
  while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;
  return name.substr(0, n);
}

void run_thread(const std::shared_ptr<detail::ThreadState>& s) {
  {
    std::lock_guard lk(s->m);
    pthread_setname_np(pthread_self(), os_name(s->name).c_str());
    s->tid = static_cast<long>(::syscall(SYS_gettid));
  }
  std::exception_ptr error;
  try {
    s->target->run();
  } catch (...) {
    error = std::current_exception();
  }
  s->target.reset();  // the target's captures die on its own thread, before join() returns
  g_running.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard lk(s->m);
  s->exception = error;
  s->done = true;
  s->done_cv.notify_all();
}

// After `done`: joins the std::thread once, then rethrows the target's exception.
void finish_join(detail::ThreadState& s) {
  {
    std::lock_guard jl(s.join_m);
    if (s.thread.joinable()) s.thread.join();
  }
  std::exception_ptr error;
  {
    std::lock_guard lk(s.m);
    error = s.exception;
    if (error) s.exception_seen = true;
  }
  if (error) std::rethrow_exception(error);
}

void check_joinable(const detail::ThreadState& s) {
  if (!s.started) throw std::logic_error("cannot join thread before it is started");
  if (s.id == std::this_thread::get_id()) throw std::logic_error("cannot join current thread");
}

}  // namespace

Thread::Thread(std::unique_ptr<concur::detail::Target> target)
    : state_(std::make_shared<detail::ThreadState>()) {
  state_->target = std::move(target);
  state_->name = "Thread-" + std::to_string(g_counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

Thread::Thread(Thread&&) noexcept = default;

Thread::~Thread() {
  if (!state_) return;  // moved from
  auto& s = *state_;
  {
    std::lock_guard jl(s.join_m);
    if (s.thread.joinable()) s.thread.join();
  }
  std::lock_guard lk(s.m);
  if (s.exception && !s.exception_seen) {
    try {
      std::rethrow_exception(s.exception);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "Exception in thread %s: %s\n", s.name.c_str(), e.what());
    } catch (...) {
      std::fprintf(stderr, "Exception in thread %s: (not a std::exception)\n", s.name.c_str());
    }
  }
}

void Thread::start() {
  auto& s = *state_;
  std::lock_guard lk(s.m);
  if (s.started) throw std::logic_error("threads can only be started once");
  g_running.fetch_add(1, std::memory_order_relaxed);
  try {
    s.thread = std::thread(run_thread, state_);
  } catch (...) {
    g_running.fetch_sub(1, std::memory_order_relaxed);
    throw;
  }
  s.id = s.thread.get_id();
  s.started = true;
}

void Thread::join() {
  auto& s = *state_;
  {
    std::unique_lock lk(s.m);
    check_joinable(s);
    s.done_cv.wait(lk, [&] { return s.done; });
  }
  finish_join(s);
}

bool Thread::join_for(Duration timeout) {
  auto& s = *state_;
  {
    std::unique_lock lk(s.m);
    check_joinable(s);
    if (!s.done_cv.wait_until(lk, concur::detail::deadline_after(timeout), [&] { return s.done; }))
      return false;
  }
  finish_join(s);
  return true;
}

bool Thread::is_alive() const {
  std::lock_guard lk(state_->m);
  return state_->started && !state_->done;
}

std::string Thread::name() const {
  std::lock_guard lk(state_->m);
  return state_->name;
}

void Thread::set_name(std::string name) {
  auto& s = *state_;
  std::lock_guard lk(s.m);
  s.name = std::move(name);
  // While !done (checked under s.m) the thread has not been joined: its handle is valid.
  if (s.started && !s.done && s.tid != 0)
    pthread_setname_np(s.thread.native_handle(), os_name(s.name).c_str());
}

std::optional<long> Thread::native_id() const {
  std::lock_guard lk(state_->m);
  if (!state_->started || state_->tid == 0) return std::nullopt;
  return state_->tid;
}

unsigned active_count() { return g_running.load(std::memory_order_relaxed) + 1; }

}  // namespace concur::threading
