// concur/multiprocessing/async_result.hpp — the result of Pool::apply_async / map_async.
//
//   auto r = pool.apply_async(+[](int x) { return x * x; }, 7);
//   int v = r.get(1s);   // throws TimeoutError if not ready within 1 s
//
// get() rethrows a task's failure: RemoteError (it threw), WorkerCrashed (its worker died),
// ProcessError (the pool was terminated before it ran). get() may be called again: each call
// decodes the result anew.
//
// Thread safety: all members are safe from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "concur/multiprocessing/pool_core.hpp"

namespace concur::multiprocessing {

template <class R>
class AsyncResult {
 public:
  AsyncResult(std::shared_ptr<detail::TaskGroup> group,
              std::function<R(const detail::TaskGroup&)> decode)
      : group_(std::move(group)), decode_(std::move(decode)) {}

  /// Waits (at most `timeout`) and returns the result. Throws TimeoutError, RemoteError,
  /// WorkerCrashed, ProcessError.
  R get(std::optional<Duration> timeout = {}) {
    if (!group_->wait_all(timeout))
      throw TimeoutError("concur::multiprocessing: AsyncResult.get() timed out");
    group_->throw_if_failed();
    if constexpr (std::is_void_v<R>)
      decode_(*group_);
    else
      return decode_(*group_);
  }
  /// Waits until ready, or until `timeout` passes. Never throws.
  void wait(std::optional<Duration> timeout = {}) { group_->wait_all(timeout); }
  bool ready() const { return group_->ready(); }
  /// Whether every task succeeded. Throws std::invalid_argument if not ready (as Python).
  bool successful() const {
    if (!group_->ready())
      throw std::invalid_argument("concur::multiprocessing: AsyncResult is not ready");
    return group_->successful();
  }

 private:
  std::shared_ptr<detail::TaskGroup> group_;
  std::function<R(const detail::TaskGroup&)> decode_;
};

}  // namespace concur::multiprocessing
