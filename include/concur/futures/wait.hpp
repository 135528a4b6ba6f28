// concur/futures/wait.hpp — futures::wait() and futures::as_completed(), as Python's.
//
//   std::vector<concur::futures::Future<int>> fs = ...;
//   for (const auto& f : concur::futures::as_completed(fs, 10s))   // in completion order
//     std::cout << f.result() << '\n';
//   auto [done, not_done] = concur::futures::wait(fs, 1s, concur::futures::FIRST_EXCEPTION);
//
// - as_completed(fs, timeout) is an input range over the futures of `fs` (duplicates collapsed:
//   each future once): first those already done when it is called, then the others as they
//   complete. Advancing past the deadline (`timeout` from the call) throws TimeoutError naming
//   how many futures are unfinished. The range holds copies of the futures.
// - wait(fs, timeout, return_when) returns when the condition holds or the deadline passes
//   (never throws TimeoutError): FIRST_COMPLETED — any future done; FIRST_EXCEPTION — any
//   future finished with an exception (cancelled ones do not count), else all done;
//   ALL_COMPLETED — all done. `done` and `not_done` keep the order of `fs`, duplicates
//   collapsed.
// Both are driven by the futures themselves: a waiter object registered on each pending future
// is told by the completing thread; nothing polls, and the waiting thread sleeps on a futex.
// Waiting on nothing returns at once. A negative timeout is std::invalid_argument.
// Thread safety: any number of threads may wait on the same futures at once; one as_completed
// range is for one thread.
#pragma once

#include <cstddef>
#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/futures/waiter.hpp"
#include "concur/duration.hpp"
#include "concur/futures/errors.hpp"
#include "concur/futures/future.hpp"

namespace concur::futures {

enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
using enum ReturnWhen;

/// What wait() returns (Python's DoneAndNotDoneFutures): the futures that were done when it
/// returned, and the others, each without repeats.
template <class T>
struct DoneAndNotDone {
  /// The futures that were finished or cancelled.
  std::vector<Future<T>> done;
  /// The others (pending or running).
  std::vector<Future<T>> not_done;
};

namespace detail {

/// `fs` without repeats (the first occurrence kept, in order).
template <class T>
std::vector<Future<T>> unique_futures(std::vector<Future<T>> fs) {
  std::unordered_set<const void*> seen;
  seen.reserve(fs.size());
  std::size_t out = 0;
  for (std::size_t i = 0; i < fs.size(); ++i) {
    if (!fs[i].valid()) throw std::future_error(std::future_errc::no_state);
    if (seen.insert(fs[i].id()).second) {
      if (out != i) fs[out] = std::move(fs[i]);
      ++out;
    }
  }
  fs.resize(out);
  return fs;
}

/// Finished with an exception (not cancelled).
inline bool failed(const StateBase& s) noexcept {
  const std::uint32_t w = s.word();
  return (w & phase::mask) == phase::finished && (w & flag::failed);
}

}  // namespace detail

/// Waits until `return_when` holds for `fs` or `timeout` passes; see the top of this header.
template <class T>
DoneAndNotDone<T> wait(const std::vector<Future<T>>& fs, std::optional<Duration> timeout = {},
                       ReturnWhen return_when = ALL_COMPLETED) {
  concur::detail::check_timeout(timeout);
  const auto deadline = detail::Deadline::after(timeout);
  std::vector<Future<T>> unique = detail::unique_futures(fs);
  const std::size_t n = unique.size();
  std::size_t n_done = 0, n_failed = 0;
  for (const auto& f : unique) {
    if (f.done()) ++n_done;
    if (detail::failed(*f.state_ptr())) ++n_failed;
  }
  auto satisfied = [&] {
    switch (return_when) {
      case FIRST_COMPLETED:
        return n_done > 0 || n == 0;
      case FIRST_EXCEPTION:
        return n_failed > 0 || n_done == n;
      default:
        return n_done == n;
    }
  };
  if (!satisfied()) {
    detail::Waiter* w = detail::Waiter::make(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto& s = *unique[i].state_ptr();
      if (s.done() || w->watch(i, s)) continue;
      ++n_done;  // completed between the count and watch()
      if (detail::failed(s)) ++n_failed;
    }
    while (!satisfied()) {
      const auto i = w->next(deadline);
      if (!i) break;
      ++n_done;
      if (detail::failed(*unique[*i].state_ptr())) ++n_failed;
    }
    w->close();
  }
  DoneAndNotDone<T> out;
  for (auto& f : unique) (f.done() ? out.done : out.not_done).push_back(std::move(f));
  return out;
}

/// wait({f1, f2}, ...): the same for a braced list.
template <class T>
DoneAndNotDone<T> wait(std::initializer_list<Future<T>> fs, std::optional<Duration> timeout = {},
                       ReturnWhen return_when = ALL_COMPLETED) {
  return wait(std::vector<Future<T>>(fs), timeout, return_when);
}

/// The range as_completed() returns; see the top of this header. Move-only.
template <class T>
class AsCompleted {
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

 public:
  /// An input iterator over the futures in completion order; compare with end().
  class iterator {
   public:
    /// The element: a future that is done.
    using value_type = Future<T>;
    /// Required of an iterator; unused.
    using difference_type = std::ptrdiff_t;
    /// Single pass: each future is yielded once.
    using iterator_concept = std::input_iterator_tag;
    iterator() = default;
    /// The future just yielded (done).
    const Future<T>& operator*() const { return owner_->fs_[owner_->current_]; }
    /// The future just yielded (done).
    const Future<T>* operator->() const { return &**this; }
    /// Waits for the next future to complete; TimeoutError past the deadline.
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    /// ++it (an input iterator's post-increment returns nothing useful).
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

   private:
    friend class AsCompleted;
    explicit iterator(AsCompleted* owner) : owner_(owner) {}
    bool at_end() const { return owner_->current_ == none; }
    AsCompleted* owner_ = nullptr;
  };

  /// Watches `fs` (duplicates collapsed); `timeout` counts from here for the whole range.
  /// Throws std::invalid_argument for a negative timeout, std::future_error for an invalid future.
  AsCompleted(std::vector<Future<T>> fs, std::optional<Duration> timeout)
      : fs_((concur::detail::check_timeout(timeout), detail::unique_futures(std::move(fs)))),
        deadline_(detail::Deadline::after(timeout)) {
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < fs_.size(); ++i) (fs_[i].done() ? ready_ : pending).push_back(i);
    if (pending.empty()) return;
    waiter_ = detail::Waiter::make(fs_.size());
    for (std::size_t i : pending)
      if (!waiter_->watch(i, *fs_[i].state_ptr())) ready_.push_back(i);
  }
  /// Takes over the range (as as_completed() returns it).
  AsCompleted(AsCompleted&& o) noexcept
      : fs_(std::move(o.fs_)),
        ready_(std::move(o.ready_)),
        next_ready_(o.next_ready_),
        yielded_(o.yielded_),
        current_(o.current_),
        started_(o.started_),
        deadline_(o.deadline_),
        waiter_(std::exchange(o.waiter_, nullptr)) {}
  AsCompleted& operator=(AsCompleted&&) = delete;
  ~AsCompleted() {
    if (waiter_) waiter_->close();
  }

  /// The first future to yield (waits for one; TimeoutError past the deadline). Call once.
  iterator begin() {
    if (!started_) {
      started_ = true;
      advance();
    }
    return iterator(this);
  }
  /// The end of the range: reached once every future was yielded.
  std::default_sentinel_t end() const noexcept { return {}; }
  /// How many futures the range yields in all (after collapsing duplicates).
  std::size_t size() const noexcept { return fs_.size(); }

 private:
  void advance() {
    if (yielded_ == fs_.size()) {
      current_ = none;
      return;
    }
    if (next_ready_ < ready_.size()) {
      current_ = ready_[next_ready_++];
    } else {
      const auto i = waiter_->next(deadline_);
      if (!i) {
        current_ = none;
        throw TimeoutError(std::to_string(fs_.size() - yielded_) + " (of " +
                           std::to_string(fs_.size()) + ") futures unfinished");
      }
      current_ = *i;
    }
    ++yielded_;
  }

  std::vector<Future<T>> fs_;
  std::vector<std::size_t> ready_;  // done at the call, then those found done while watching
  std::size_t next_ready_ = 0, yielded_ = 0, current_ = none;
  bool started_ = false;
  detail::Deadline deadline_;
  detail::Waiter* waiter_ = nullptr;
};

/// The futures of `fs` as they complete; see the top of this header.
template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> fs, std::optional<Duration> timeout = {}) {
  return AsCompleted<T>(std::move(fs), timeout);
}
/// as_completed({f1, f2}, ...): the same for a braced list.
template <class T>
AsCompleted<T> as_completed(std::initializer_list<Future<T>> fs,
                            std::optional<Duration> timeout = {}) {
  return AsCompleted<T>(std::vector<Future<T>>(fs), timeout);
}

}  // namespace concur::futures
