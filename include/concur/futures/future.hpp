// concur/futures/future.hpp — concur::futures::Future<T>, Python's concurrent.futures.Future.
//
//   concur::futures::ThreadPoolExecutor pool(2);
//   auto f = pool.submit([](int x) { return x * x; }, 7);     // Future<int>
//   f.add_done_callback([](const auto& done) { std::cout << done.result() << '\n'; });
//   int v = f.result(1s);          // 49; TimeoutError if not done within 1 s
//
//   concur::futures::Future<std::string> g;                  // a pending future of your own
//   std::thread([g]() mutable { g.set_result("hi"); }).detach();
//   g.get();                       // std::future's spelling works too
//
// States, as Python's: pending -> running -> finished, or pending -> cancelled. A Future is a
// handle: copies refer to one result (as std::shared_future), and the result lives as long as
// any copy does. T may be void or a reference.
// - result(timeout) waits and returns the result (a const reference to it), rethrows the task's
//   exception, or throws CancelledError; TimeoutError if `timeout` passes first (a negative one
//   is std::invalid_argument). exception(timeout) is the same wait, returning the exception
//   (null if it succeeded).
// - cancel() succeeds only while pending (also when already cancelled): an executor then never
//   runs the task. running() and done() report the state; done() includes cancelled.
// - add_done_callback(fn): fn(future) runs once when the future is done — at once on this thread
//   if it already is, else on the thread that completes it, in the order added. An exception a
//   callback throws is printed to stderr with its what() (Python logs it) and the other
//   callbacks still run.
// - get(), wait(), wait_for(), valid(): std::future's spellings (get() does not consume).
// - set_running_or_notify_cancel(), set_result(), set_exception(): for writers of executors
//   and for tests, as Python's; InvalidStateError when the future is already done, and for a
//   future an executor made (it completes that one itself).
// Thread safety: every member of one Future, and of its copies, may be called from any thread
// at once (except assigning to the same handle object from two threads).
// Cost: completing a future is one atomic operation on its state word, and makes no system
// call unless a thread is asleep waiting for it; a waiter spins briefly, then sleeps on a futex.
#pragma once

#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <future>
#include <optional>
#include <type_traits>
#include <utility>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/futures/state.hpp"
#include "concur/duration.hpp"
#include "concur/futures/errors.hpp"

namespace concur::futures {

/// Python's concurrent.futures.Future (defined below).
template <class T>
class Future;

namespace detail {

/// Prints what a done-callback threw (Python's "exception calling callback for <Future>").
void report_callback_error(const void* future, std::exception_ptr error) noexcept;

template <class T>
struct CallbackNode final : Listener {
  explicit CallbackNode(std::function<void(const Future<T>&)> f) : fn(std::move(f)) {}
  void notify(StateBase& state) noexcept override;
  void discard() noexcept override { delete this; }
  std::function<void(const Future<T>&)> fn;
};

struct NoArg {
  NoArg() = delete;
};

/// Adopts one reference a maker already holds (executors).
struct Adopt {};

template <class T>
struct ResultRef {
  using type = const T&;
};
template <>
struct ResultRef<void> {
  using type = void;
};

}  // namespace detail

/// Python's concurrent.futures.Future: a shared handle to one result that an executor (or
/// set_result()/set_exception()) provides later. Copies refer to the same result.
/// Thread safety: every member of one Future, and of its copies, may be called from any
/// thread at once (except assigning to the same handle object from two threads).
/// @code
/// concur::futures::ThreadPoolExecutor pool(2);
/// auto f = pool.submit([](int x) { return x * x; }, 7);  // Future<int>
/// int v = f.result(1s);  // 49; TimeoutError if not done within 1 s
/// @endcode
template <class T>
class Future {
  using State = detail::FutureState<T>;
  using Arg = std::conditional_t<std::is_void_v<T>, detail::NoArg, T>;

 public:
  /// const T& (T& for a reference T; void for void).
  using result_type = typename detail::ResultRef<T>::type;

  /// A new pending future (Python's Future()), to be completed with set_result/set_exception.
  Future() : s_(new detail::PlainState<T>()) {}
  /// Another handle to the same result.
  Future(const Future& o) noexcept : s_(o.s_) {
    if (s_) s_->add_ref();
  }
  /// Takes over the handle; the source becomes invalid (valid() is false).
  Future(Future&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  /// Makes this handle refer to the result `o` refers to.
  Future& operator=(const Future& o) noexcept {
    Future(o).swap(*this);
    return *this;
  }
  /// Takes over `o`'s handle; `o` becomes invalid.
  Future& operator=(Future&& o) noexcept {
    Future(std::move(o)).swap(*this);
    return *this;
  }
  ~Future() {
    if (s_) s_->release();
  }
  /// Exchanges the two handles.
  void swap(Future& o) noexcept { std::swap(s_, o.s_); }

  /// For executors: adopts a reference to `state` that the caller holds.
  Future(State* state, detail::Adopt) noexcept : s_(state) {}

  /// Waits (at most `timeout`) and returns the result. Throws what the task threw,
  /// CancelledError, TimeoutError; std::invalid_argument for a negative timeout.
  result_type result(std::optional<Duration> timeout = {}) const {
    const std::uint32_t w = state().word();
    if ((w & (detail::phase::mask | detail::flag::failed)) == detail::phase::finished)
      return value();
    await(timeout, "result");
    return checked_value();
  }
  /// Waits (at most `timeout`) and returns the task's exception, or null if it succeeded.
  /// Throws CancelledError, TimeoutError.
  std::exception_ptr exception(std::optional<Duration> timeout = {}) const {
    await(timeout, "exception");
    const std::uint32_t w = s_->word();
    if ((w & detail::phase::mask) == detail::phase::cancelled) throw CancelledError();
    return (w & detail::flag::failed) ? s_->error() : std::exception_ptr();
  }

  /// Cancels the future if it is pending (true), or if it was cancelled already (true); false
  /// if it is running or done. Callbacks and waiters are told at once.
  bool cancel() { return state().cancel(); }
  /// Whether cancel() succeeded (a cancelled future is also done()).
  bool cancelled() const { return phase() == detail::phase::cancelled; }
  /// Running: started by an executor (or being completed), not yet done.
  bool running() const {
    const std::uint32_t p = phase();
    return p == detail::phase::running || p == detail::phase::completing;
  }
  /// Finished (with a result or an exception) or cancelled.
  bool done() const { return detail::is_done(state().word()); }

  /// Calls fn(*this) once the future is done: now, on this thread, if it already is; else on
  /// the completing thread. What fn throws is printed to stderr and otherwise ignored.
  void add_done_callback(std::function<void(const Future&)> fn) {
    auto* node = new detail::CallbackNode<T>(std::move(fn));
    if (!state().add_listener(node)) node->notify(*s_);
  }

  // std::future's spelling.
  /// result(): waits, returns the result or rethrows.
  result_type get() const { return result(); }
  /// Waits until done (never throws for the task's failure).
  void wait() const { state().wait_until(detail::Deadline::never()); }
  /// Waits at most `timeout`: std::future_status::ready or std::future_status::timeout.
  std::future_status wait_for(Duration timeout) const {
    return state().wait_until(detail::Deadline::after(timeout)) ? std::future_status::ready
                                                                : std::future_status::timeout;
  }
  /// False only for a moved-from Future.
  bool valid() const noexcept { return s_ != nullptr; }

  // For executors and tests (Python's).
  /// pending -> running: true. Cancelled: false (the executor then skips the task). Throws
  /// InvalidStateError in any other state.
  bool set_running_or_notify_cancel() {
    check_unowned("set_running_or_notify_cancel");
    if (s_->try_start()) return true;
    if (cancelled()) return false;
    throw InvalidStateError("concur::futures: set_running_or_notify_cancel() on a future that is " +
                            std::string(done() ? "done" : "running"));
  }
  /// Completes the future with `value`. InvalidStateError if it is done already.
  void set_result(Arg value) requires(!std::is_void_v<T>) {
    claim("set_result");
    try {
      if constexpr (std::is_reference_v<T>)
        s_->store_value(std::addressof(value));
      else
        s_->store_value(std::move(value));
    } catch (...) {
      s_->store_error(std::current_exception());
      s_->publish(detail::phase::completing, true);
      throw;
    }
    s_->publish(detail::phase::completing, false);
  }
  /// Completes a Future<void>. InvalidStateError if it is done already, or if an executor made it.
  void set_result() requires std::is_void_v<T> {
    claim("set_result");
    s_->store_value();
    s_->publish(detail::phase::completing, false);
  }
  /// Completes the future with an exception (null: std::invalid_argument). InvalidStateError
  /// if it is done already.
  void set_exception(std::exception_ptr error) {
    if (!error) throw std::invalid_argument("concur::futures: set_exception(nullptr)");
    claim("set_exception");
    s_->store_error(std::move(error));
    s_->publish(detail::phase::completing, true);
  }

  /// Whether two handles refer to the same future.
  friend bool operator==(const Future& a, const Future& b) noexcept { return a.s_ == b.s_; }
  /// *beyond*: the shared state's identity (for hashing; stable while a handle lives).
  const void* id() const noexcept { return s_; }
  /// Internal: the shared state (wait/as_completed register on it).
  State* state_ptr() const noexcept { return s_; }

 private:
  State& state() const {
    if (!s_) throw std::future_error(std::future_errc::no_state);
    return *s_;
  }
  std::uint32_t phase() const { return state().word() & detail::phase::mask; }
  void await(const std::optional<Duration>& timeout, const char* what) const {
    concur::detail::check_timeout(timeout);
    if (!state().wait_until(detail::Deadline::after(timeout)))
      throw TimeoutError(std::string("concur::futures: Future.") + what + "() timed out");
  }
  result_type value() const {
    if constexpr (std::is_void_v<T>)
      return;
    else if constexpr (std::is_reference_v<T>)
      return *s_->value();
    else
      return s_->value();
  }
  result_type checked_value() const {
    const std::uint32_t w = s_->word();
    if ((w & detail::phase::mask) == detail::phase::cancelled) throw CancelledError();
    if (w & detail::flag::failed) std::rethrow_exception(s_->error());
    return value();
  }
  void check_unowned(const char* what) const {
    if (state().word() & detail::flag::owned)
      throw InvalidStateError(std::string("concur::futures: ") + what +
                              "() on a future an executor completes");
  }
  void claim(const char* what) {
    check_unowned(what);
    if (!s_->claim())
      throw InvalidStateError(std::string("concur::futures: ") + what +
                              "() on a future that is already done");
  }

  State* s_;
};

template <class T>
void detail::CallbackNode<T>::notify(StateBase& state) noexcept {
  auto& typed = static_cast<FutureState<T>&>(state);
  typed.add_ref();
  const Future<T> f(&typed, Adopt{});
  try {
    fn(f);
  } catch (...) {
    report_callback_error(&typed, std::current_exception());
  }
  delete this;
}

}  // namespace concur::futures
