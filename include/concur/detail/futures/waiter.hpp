// concur/detail/futures/waiter.hpp — the waiter object behind futures::wait() and
// as_completed().
//
// Internal; not part of the API. A Waiter registers one listener (a Link) on each pending
// future it watches; the thread that completes a future pushes that future's Link onto a
// lock-free stack and, only if the consumer sleeps, wakes it through a futex. The consumer
// (the one thread calling wait()/iterating as_completed()) takes completed futures in the
// order they completed. Nothing polls. The Waiter is reference-counted: the consumer holds one
// reference and every registered Link one, so a completer that is still notifying a Link never
// touches freed memory after the consumer has gone.
//
// Thread safety: watch(), next() and close() are for the one consumer thread; the Links'
// notify() may run on any thread at any time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "concur/detail/futures/state.hpp"

namespace concur::futures::detail {

class Waiter {
 public:
  /// A waiter able to watch futures 0..n-1. Free it with close().
  static Waiter* make(std::size_t n);
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  /// Watches future `index` (its state `s`); false if it is already done (not watched then).
  bool watch(std::size_t index, StateBase& s) noexcept;
  /// The index of the next watched future to complete, in completion order; nullopt if the
  /// deadline passed first.
  std::optional<std::size_t> next(const Deadline& deadline) noexcept;
  /// Stops watching the futures still pending, and drops the consumer's reference.
  void close() noexcept;

 private:
  struct Link final : Listener {
    void notify(StateBase& state) noexcept override;
    void discard() noexcept override;
    Waiter* owner = nullptr;
    StateBase* state = nullptr;  // set while watched
    Link* done_next = nullptr;
    std::size_t index = 0;
  };

  explicit Waiter(std::size_t n) : links_(new Link[n]), n_(n) {}
  ~Waiter() = default;
  void on_done(Link* link) noexcept;
  void release() noexcept;

  std::atomic<std::uint32_t> refs_{1};
  std::atomic<std::uint32_t> seq_{0};  // bumped by 2 per completion; bit 0: the consumer sleeps
  std::atomic<Link*> done_{nullptr};   // completed, newest first
  Link* batch_ = nullptr;              // the consumer's: taken from done_, oldest first
  std::unique_ptr<Link[]> links_;
  std::size_t n_;
};

}  // namespace concur::futures::detail
