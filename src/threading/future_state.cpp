// The slow paths of a future's state word (include/concur/detail/futures/state.hpp): sleeping
// on it, the listener list's spin lock, and notifying the listeners. The fast paths (start,
// publish, cancel without listeners or sleepers) are inline in the header.
#include <cxxabi.h>
#include <sched.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#include "concur/detail/core/futex.hpp"
#include "concur/detail/futures/state.hpp"
#include "concur/futures/future.hpp"

namespace concur::futures::detail {
namespace {

// Before sleeping, a waiter spins this many rounds: a task of a few microseconds completes
// within it, and the completer then needs no futex_wake.
constexpr int kWaitSpins = 200;

void backoff(int& spins) noexcept {
  if (++spins < 64)
    concur::detail::cpu_relax();
  else
    sched_yield();  // the lock holder was preempted; its critical section is a few stores
}

}  // namespace

StateBase::~StateBase() {
  // Never completed (a Future() dropped while pending): nobody will notify these.
  Listener* l = listeners_;
  while (l) {
    Listener* next = l->next;
    l->discard();
    l = next;
  }
}

bool StateBase::wait_slow(const Deadline& deadline) const noexcept {
  drive(deadline);
  while (!deadline.expired() && help()) {
    if (done()) return true;
  }
  for (int i = 0; i < kWaitSpins; ++i) {
    concur::detail::cpu_relax();
    if (done()) return true;
  }
  for (;;) {
    std::uint32_t w = word_.load(std::memory_order_acquire);
    if (is_done(w)) return true;
    if (!(w & flag::waiting)) {
      if (!word_.compare_exchange_weak(w, w | flag::waiting, std::memory_order_relaxed,
                                       std::memory_order_relaxed))
        continue;
      w |= flag::waiting;
    }
    if (!concur::detail::futex_wait_until(word_, w, deadline)) return done();
  }
}

void StateBase::after_done(std::uint32_t old) noexcept {
  if (old & flag::waiting) concur::detail::futex_wake(word_, INT_MAX);
  // A lock holder at the moment of completion takes the list when it unlocks.
  if ((old & flag::listeners) && !(old & flag::locked)) run_listeners();
}

bool StateBase::lock_list() noexcept {
  // Acquire loads throughout: a `done` seen here must make the result visible (the caller may
  // run a callback that reads it).
  std::uint32_t w = word_.load(std::memory_order_acquire);
  int spins = 0;
  for (;;) {
    if (is_done(w)) return false;
    if (w & flag::locked) {
      backoff(spins);
      w = word_.load(std::memory_order_acquire);
      continue;
    }
    if (word_.compare_exchange_weak(w, w | flag::locked, std::memory_order_acquire,
                                    std::memory_order_acquire))
      return true;
  }
}

void StateBase::unlock_list() noexcept {
  std::uint32_t w = word_.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint32_t next =
        (w & ~(flag::locked | flag::listeners)) | (listeners_ ? flag::listeners : 0u);
    if (word_.compare_exchange_weak(w, next, std::memory_order_acq_rel, std::memory_order_relaxed))
      break;
  }
  // Completed while we held the lock: the completer left the list to us.
  if (is_done(w)) run_listeners();
}

bool StateBase::add_listener(Listener* l) noexcept {
  if (!lock_list()) return false;
  l->next = listeners_;
  listeners_ = l;
  unlock_list();
  return true;
}

bool StateBase::remove_listener(Listener* l) noexcept {
  if (!lock_list()) return false;
  bool found = false;
  for (Listener** p = &listeners_; *p; p = &(*p)->next) {
    if (*p == l) {
      *p = l->next;
      found = true;
      break;
    }
  }
  unlock_list();
  return found;
}

void StateBase::run_listeners() noexcept {
  // The list is ours alone now (the phase is done). Newest first: reverse it, to notify in the
  // order the listeners were added.
  Listener* l = std::exchange(listeners_, nullptr);
  Listener* ordered = nullptr;
  while (l) {
    Listener* next = l->next;
    l->next = ordered;
    ordered = l;
    l = next;
  }
  while (ordered) {
    Listener* next = ordered->next;  // notify() may free the listener
    ordered->notify(*this);
    ordered = next;
  }
}

void report_callback_error(const void* future, std::exception_ptr error) noexcept {
  std::string type = "unknown exception", what;
  try {
    std::rethrow_exception(error);
  } catch (...) {
    if (const std::type_info* t = abi::__cxa_current_exception_type()) {
      int status = 0;
      char* name = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
      type = status == 0 && name ? name : t->name();
      std::free(name);
    }
    try {
      throw;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
  }
  std::fprintf(stderr, "concur::futures: exception calling callback for future %p: %s%s%s\n",
               future, type.c_str(), what.empty() ? "" : ": ", what.c_str());
}

}  // namespace concur::futures::detail
