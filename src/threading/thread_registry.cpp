// concur::threading's module functions: current_thread(), main_thread(), enumerate(),
// active_count(), get_native_id(), set_excepthook(), and the registry of live threads they read.
//
// The registry, the hook and the main thread's identity are leaked on purpose: a daemon thread may
// still run (and unregister) while static destructors run at exit.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "thread_state.hpp"

namespace concur::threading {
namespace detail {
namespace {

struct Registry {
  Lock m;
  std::vector<std::shared_ptr<ThreadState>> live CONCUR_GUARDED_BY(m);
  std::function<void(const ExceptHookArgs&)> hook CONCUR_GUARDED_BY(m);  // empty: the default
  std::uint64_t main_ident = get_ident();  // constructed at static initialisation (main thread)
};

Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

// Force construction during static initialisation, on the main thread, so main_ident is right.
[[maybe_unused]] const bool g_registry_ready = (registry(), true);

thread_local ThreadState* t_state = nullptr;
std::atomic<unsigned> g_counter{0};

// A copy, so that no ThreadState lock is ever taken under the registry's (start() nests them the
// other way round).
std::vector<std::shared_ptr<ThreadState>> live_threads() {
  LockGuard lk(registry().m);
  return registry().live;
}

bool on_main_thread() noexcept { return ::gettid() == ::getpid(); }

// Python waits for non-daemon threads when the main thread exits; exit() here does the same for
// concur Threads still running then (a Thread object normally joins in its destructor first).
void wait_for_non_daemon_threads() {
  if (!on_main_thread()) return;
  for (auto& s : live_threads()) {
    bool daemon;
    {
      LockGuard lk(s->m);
      daemon = s->daemon;
    }
    if (!daemon) s->done.wait_until(concur::detail::Deadline::never(), false);
  }
}

// In a fork()ed child only the forking thread exists: forget the others, as Python's _after_fork.
// No lock is taken: another parent thread may have held one at the fork; the child is
// single-threaded here.
void after_fork_in_child() CONCUR_NO_THREAD_SAFETY_ANALYSIS {
  auto& r = registry();
  new (&r.m) Lock();
  r.main_ident = get_ident();
  for (auto& s : r.live) {
    if (s.get() == t_state) continue;
    new (&s->m) Lock();
    new (&s->join_m) Lock();
    s->orphaned = true;
    s->finished = true;
    s->done.set(false);
  }
  std::erase_if(r.live, [](const auto& s) { return s.get() != t_state; });
}

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit(wait_for_non_daemon_threads);
    pthread_atfork(nullptr, nullptr, after_fork_in_child);
  });
}

ThreadInfo info_of(const ThreadState& s) {
  LockGuard lk(s.m);
  return {s.name, s.ident, s.tid, s.daemon};
}

ThreadInfo main_info() { return {"MainThread", registry().main_ident, ::getpid(), false}; }

}  // namespace

void register_thread(const std::shared_ptr<ThreadState>& s) {
  install_handlers();
  LockGuard lk(registry().m);
  registry().live.push_back(s);
}

void unregister_thread(const ThreadState* s) {
  std::shared_ptr<ThreadState> keep;  // released after the lock: never the last reference anyway
  LockGuard lk(registry().m);
  auto& live = registry().live;
  auto it = std::find_if(live.begin(), live.end(), [&](const auto& p) { return p.get() == s; });
  if (it == live.end()) return;
  keep = std::move(*it);
  *it = std::move(live.back());
  live.pop_back();
}

ThreadState* current_state() noexcept { return t_state; }
void set_current_state(ThreadState* s) noexcept { t_state = s; }
unsigned next_thread_number() noexcept { return g_counter.fetch_add(1) + 1; }

void report_exception(const std::exception_ptr& e, const std::string& name,
                      std::uint64_t ident) noexcept {
  try {
    std::function<void(const ExceptHookArgs&)> hook;
    {
      LockGuard lk(registry().m);
      hook = registry().hook;
    }
    if (hook) {
      hook(ExceptHookArgs{e, name, ident});
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::fprintf(stderr, "Exception in thread %s: %s\n", name.c_str(), x.what());
    } catch (...) {
      std::fprintf(stderr, "Exception in thread %s: (not a std::exception)\n", name.c_str());
    }
  } catch (...) {
    // The hook threw, or printing failed: nothing sensible is left to do (Python ignores it too).
  }
}

}  // namespace detail

ThreadInfo current_thread() {
  if (const auto* s = detail::t_state) return detail::info_of(*s);
  if (detail::on_main_thread()) return detail::main_info();
  thread_local const std::string dummy = "Dummy-" + std::to_string(detail::next_thread_number());
  return {dummy, get_ident(), ::gettid(), true};
}

ThreadInfo main_thread() { return detail::main_info(); }

std::vector<ThreadInfo> enumerate() {
  std::vector<ThreadInfo> out{detail::main_info()};
  for (const auto& s : detail::live_threads()) out.push_back(detail::info_of(*s));
  return out;
}

unsigned active_count() {
  LockGuard lk(detail::registry().m);
  return static_cast<unsigned>(detail::registry().live.size()) + 1;
}

pid_t get_native_id() noexcept { return ::gettid(); }

void set_excepthook(std::function<void(const ExceptHookArgs&)> hook) {
  LockGuard lk(detail::registry().m);
  detail::registry().hook = std::move(hook);
}

}  // namespace concur::threading
