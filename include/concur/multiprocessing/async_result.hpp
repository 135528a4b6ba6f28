// concur/multiprocessing/async_result.hpp — the result of Pool::apply_async / map_async /
// starmap_async.
//
//   auto r = pool.apply_async(+[](int x) { return x * x; }, 7);
//   r.callback([](const int& v) { std::cout << v; });   // on the pool's result thread
//   int v = r.get(1s);   // concur::TimeoutError if not ready within 1 s
//
// get() rethrows a task's failure: its own exception type when it can be rebuilt (see
// errors.hpp), RemoteError, WorkerCrashed (its worker died), ProcessError (the pool was
// terminated before it ran). get() may be called again: each call decodes the result anew.
// Callbacks (Python's callback= / error_callback=) run once the result is ready, on the pool's
// result thread — or at once, in the calling thread, if it is ready already. They should return
// quickly: the pool hands out no work while one runs. An exception escaping a callback is
// printed to stderr and dropped.
//
// Thread safety: all members are safe from any thread.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "concur/multiprocessing/detail/pool_core.hpp"

namespace concur::multiprocessing {

namespace detail {
template <class R>
struct result_callback {
  using type = std::function<void(const R&)>;
};
template <>
struct result_callback<void> {
  using type = std::function<void()>;
};
}  // namespace detail

/// Python's multiprocessing.pool.AsyncResult: the result of Pool::apply_async(), map_async()
/// or starmap_async(), ready once every task of the call is done.
/// Thread safety: all members are safe from any thread.
/// @code
/// auto r = pool.apply_async(+[](int x) { return x * x; }, 7);
/// int v = r.get(1s);  // concur::TimeoutError if not ready within 1 s
/// @endcode
template <class R>
class AsyncResult {
 public:
  /// Turns the finished tasks' bytes into the result (set by Pool).
  using Decode = std::function<R(const detail::TaskGroup&)>;
  /// What callback() takes: void(const R&), or void() for R = void.
  using Callback = typename detail::result_callback<R>::type;

  /// Made by Pool: the result of the tasks of `group`, decoded by `decode`.
  AsyncResult(std::shared_ptr<detail::TaskGroup> group, Decode decode)
      : group_(std::move(group)), decode_(std::move(decode)) {}

  /// Waits (at most `timeout`) and returns the result. Throws concur::TimeoutError, the task's
  /// exception, WorkerCrashed, ProcessError; std::invalid_argument for a negative timeout.
  R get(std::optional<Duration> timeout = {}) {
    wait(timeout);
    group_->throw_if_failed();
    if constexpr (std::is_void_v<R>)
      decode_(*group_);
    else
      return decode_(*group_);
  }
  /// Waits until ready. Throws concur::TimeoutError if `timeout` passes first.
  void wait(std::optional<Duration> timeout = {}) {
    if (!group_->wait_all(timeout))
      throw concur::TimeoutError("concur::multiprocessing: AsyncResult timed out");
  }
  /// Whether every task of the call is done (successfully or not).
  bool ready() const { return group_->ready(); }
  /// Whether every task succeeded. Throws std::invalid_argument if not ready (as Python).
  bool successful() const {
    if (!group_->ready())
      throw std::invalid_argument("concur::multiprocessing: AsyncResult is not ready");
    return group_->successful();
  }
  /// Calls fn(result) once it succeeded (Python's callback=).
  AsyncResult& callback(Callback fn) {
    group_->on_ready([g = group_, d = decode_, fn = std::move(fn)] {
      if (!g->successful()) return;
      if constexpr (std::is_void_v<R>) {
        d(*g);
        fn();
      } else {
        fn(d(*g));
      }
    });
    return *this;
  }
  /// Calls fn(the exception) once it failed (Python's error_callback=).
  AsyncResult& error_callback(std::function<void(std::exception_ptr)> fn) {
    group_->on_ready([g = group_, fn = std::move(fn)] {
      if (g->successful()) return;
      try {
        g->throw_if_failed();
      } catch (...) {
        fn(std::current_exception());
      }
    });
    return *this;
  }

 private:
  std::shared_ptr<detail::TaskGroup> group_;
  Decode decode_;
};

}  // namespace concur::multiprocessing
