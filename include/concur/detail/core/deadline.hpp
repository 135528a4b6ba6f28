// concur/detail/core/deadline.hpp — the one deadline type of concur, on CLOCK_MONOTONIC.
//
// Internal; not part of the API. Every timed wait in concur (futexes, condition variables,
// poll/ppoll, waitid loops) turns its `std::optional<Duration> timeout` into a Deadline once and
// re-waits on what is left after EINTR or a spurious wake-up, so no time is lost or gained.
// One clamping rule: a timeout <= 0 is already expired (a poll); a huge one saturates instead
// of overflowing; nullopt never expires. Rejecting negative timeouts (Python's ValueError) is
// the API's job: check_timeout().
//
//   auto d = concur::detail::Deadline::after(timeout);
//   while (!ready()) { if (d.expired()) return false; futex_wait_until(word, v, d); }
//
// Thread safety: a value type.
#pragma once

#include <time.h>

#include <chrono>
#include <climits>
#include <optional>
#include <stdexcept>

#include "concur/duration.hpp"

namespace concur::detail {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC in libstdc++ and libc++

/// Rejects a negative timeout as Python does (ValueError): std::invalid_argument.
inline void check_timeout(const std::optional<Duration>& timeout) {
  if (timeout && *timeout < Duration::zero())
    throw std::invalid_argument("'timeout' must be a non-negative number");
}

/// An absolute point on CLOCK_MONOTONIC, or never.
class Deadline {
 public:
  /// Never expires.
  constexpr Deadline() = default;
  static constexpr Deadline never() { return {}; }
  /// `timeout` from now: <= 0 is now (expired), huge saturates.
  static Deadline after(Duration timeout) {
    const auto now = Clock::now();
    Deadline d;
    d.never_ = false;
    if (!(timeout > Duration::zero())) {  // also NaN
      d.at_ = now;
      return d;
    }
    const Duration room = Clock::time_point::max() - now;
    d.at_ = timeout >= room / 2 ? Clock::time_point::max() - Clock::duration(1)
                                : now + std::chrono::duration_cast<Clock::duration>(timeout);
    return d;
  }
  /// Any std::chrono duration (5ms, 2s) without ambiguity.
  template <class Rep, class Period>
  static Deadline after(std::chrono::duration<Rep, Period> timeout) {
    return after(std::chrono::duration_cast<Duration>(timeout));
  }
  /// nullopt: never.
  static Deadline after(const std::optional<Duration>& timeout) {
    return timeout ? after(*timeout) : never();
  }
  static Deadline at(Clock::time_point t) {
    Deadline d;
    d.never_ = false;
    d.at_ = t;
    return d;
  }

  bool is_never() const { return never_; }
  bool expired() const { return !never_ && Clock::now() >= at_; }
  /// Time left, >= 0 (Duration::max() when never).
  Duration remaining() const {
    if (never_) return Duration::max();
    const auto left = at_ - Clock::now();
    return left > Clock::duration::zero() ? Duration(left) : Duration::zero();
  }
  /// For std::condition_variable::wait_until and friends (never: a far future).
  Clock::time_point time_point() const {
    return never_ ? Clock::time_point::max() - Clock::duration(1) : at_;
  }
  /// The absolute CLOCK_MONOTONIC timespec (FUTEX_WAIT_BITSET, pthread_cond_timedwait with a
  /// monotonic condattr, clock_nanosleep TIMER_ABSTIME); nullopt when never.
  std::optional<timespec> abs_timespec() const {
    if (never_) return std::nullopt;
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(at_.time_since_epoch()).count();
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  }
  /// The relative timespec left (ppoll, FUTEX_WAIT), >= 0; nullopt when never.
  std::optional<timespec> rel_timespec() const {
    if (never_) return std::nullopt;
    return to_timespec(remaining());
  }
  /// poll()'s timeout: -1 when never, else the milliseconds left rounded up (a wait never
  /// returns early), capped at INT_MAX.
  int poll_ms() const {
    if (never_) return -1;
    const double ms = remaining().count() * 1000.0;
    if (ms <= 0) return 0;
    if (ms >= static_cast<double>(INT_MAX)) return INT_MAX;
    const int whole = static_cast<int>(ms);
    return whole < ms ? whole + 1 : whole;
  }

  /// A non-negative duration as a timespec (negative clamps to zero, huge saturates).
  static timespec to_timespec(Duration d) {
    if (!(d > Duration::zero())) return {0, 0};
    if (d.count() >= 1e15) return {static_cast<time_t>(1e15), 0};
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  }

 private:
  Clock::time_point at_{};
  bool never_ = true;
};

}  // namespace concur::detail
