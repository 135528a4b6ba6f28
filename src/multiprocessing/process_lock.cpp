// Value's lock: a process-shared robust pthread mutex (a holder that dies does not wedge the
// others: the next locker recovers it).
#include <pthread.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <system_error>

#include "concur/multiprocessing/value.hpp"

namespace concur::multiprocessing::detail {

namespace {

// Locks `m`, waiting at most until `deadline` (steady clock) if given. Uses
// pthread_mutex_timedlock (CLOCK_REALTIME, converted from the time left) rather than
// pthread_mutex_clocklock, which sanitizers do not intercept.
int lock_until(pthread_mutex_t* m, std::optional<std::chrono::steady_clock::time_point> deadline) {
  int r;
  if (!deadline) {
    r = ::pthread_mutex_lock(m);
  } else {
    const auto left = *deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      r = ::pthread_mutex_trylock(m);
      if (r == EBUSY) r = ETIMEDOUT;
    } else {
      const auto at = std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
      const auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
      const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                        static_cast<long>(ns % 1'000'000'000)};
      r = ::pthread_mutex_timedlock(m, &ts);
    }
  }
  if (r == EOWNERDEAD) {
    ::pthread_mutex_consistent(m);
    return 0;
  }
  return r;
}

}  // namespace

void ProcessLock::init(pthread_mutex_t* m, bool recursive) {
  pthread_mutexattr_t a;
  ::pthread_mutexattr_init(&a);
  ::pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  ::pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (recursive) ::pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  const int r = ::pthread_mutex_init(m, &a);
  ::pthread_mutexattr_destroy(&a);
  if (r != 0) throw std::system_error(r, std::generic_category(), "pthread_mutex_init");
}

void ProcessLock::lock() {
  const int r = lock_until(m_, std::nullopt);
  if (r != 0) throw std::system_error(r, std::generic_category(), "pthread_mutex_lock");
}

bool ProcessLock::try_lock() {
  const int r = ::pthread_mutex_trylock(m_);
  if (r == EOWNERDEAD) {
    ::pthread_mutex_consistent(m_);
    return true;
  }
  return r == 0;
}

void ProcessLock::unlock() { ::pthread_mutex_unlock(m_); }

}  // namespace concur::multiprocessing::detail
