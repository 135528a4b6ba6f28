// concur/threading.hpp — Python's threading module: Thread, Event, Timer and the locks.
//
//   using namespace concur::threading;
//   Thread t([](int n) { greet(n); }, 7);     // nothing runs yet, as in Python
//   t.set_name("greeter");                     // shows in ps -L, top -H and gdb ("greeter")
//   t.start();
//   t.join();                                  // rethrows what the target threw (*beyond*)
//
//   Event ready;  Timer alarm(250ms, [&] { ready.set(); });  alarm.start();
//   ready.wait(1s);                            // true: the timer fired in time
//
// Errors: start() twice, join() before start() and join() from the thread itself throw
// std::logic_error (Python: RuntimeError). join()/join_for() rethrow the target's exception on
// every call once the thread has finished. A Thread destroyed while running waits for it (Python
// waits for non-daemon threads at exit); if its exception was never seen by a join(), the
// destructor prints "Exception in thread NAME: what()" to stderr, as Python's excepthook does.
// Names: the OS keeps at most 15 bytes (pthread_setname_np); longer names are truncated for the
// OS only (at a UTF-8 character boundary); name() returns the full name.
// Lock/RLock/Condition/Semaphore/Barrier are the standard types: concur's own code does not use
// std::counting_semaphore or std::barrier (libstdc++ 12 builds them on std::atomic::wait, see GCC
// bug 106772).
// Thread safety: every member of Thread, Event and Timer may be called from any thread.
#pragma once

#include <atomic>
#include <barrier>
#include <concepts>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "concur/detail/threading_sync.hpp"
#include "concur/detail/threading_target.hpp"
#include "concur/duration.hpp"

namespace concur::threading {

using Lock = std::mutex;
using RLock = std::recursive_mutex;
using Condition = std::condition_variable_any;
using Semaphore = std::counting_semaphore<>;
using Barrier = std::barrier<>;

namespace detail {
struct ThreadState;
}

/// A thread of control that starts on start(), as Python's threading.Thread.
class Thread {
 public:
  /// Stores target and its arguments (by value, as std::thread); does not start.
  template <class F, class... A>
  requires std::invocable<std::decay_t<F>, std::decay_t<A>...>
  explicit Thread(F target, A... args)
      : Thread(concur::detail::make_target(std::move(target), std::move(args)...)) {}
  Thread(Thread&&) noexcept;
  Thread& operator=(Thread&&) = delete;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  /// Waits for a started thread to finish. Never throws.
  ~Thread();

  /// Starts the thread. Throws std::logic_error if already started, std::system_error if the OS
  /// cannot create it.
  void start();
  /// Waits for the thread; rethrows its target's exception. Throws std::logic_error before
  /// start() or when called from the thread itself.
  void join();
  /// join() with a timeout on the monotonic clock: false if still running at the deadline.
  bool join_for(Duration timeout);
  /// Started and not yet finished.
  bool is_alive() const;
  /// "Thread-N" unless set_name() was called.
  std::string name() const;
  /// Also renames the running OS thread (first 15 bytes).
  void set_name(std::string name);
  /// *beyond*: the kernel's thread id (as Python's native_id); nullopt before start().
  std::optional<long> native_id() const;

 private:
  explicit Thread(std::unique_ptr<concur::detail::Target> target);
  std::shared_ptr<detail::ThreadState> state_;
};

/// Python's threading.Event: a flag threads can wait for.
class Event {
 public:
  void set();
  void clear();
  bool is_set() const;
  /// Waits until set or timeout (monotonic); returns the flag. No timeout: waits forever.
  bool wait(std::optional<Duration> timeout = {});

 private:
  mutable concur::detail::Mutex m_;
  concur::detail::CondVar cv_;
  bool flag_ = false;
};

/// Python's threading.Timer: runs function once, interval after start(), unless cancel()ed
/// first. The waiting thread sleeps on a condition variable until the deadline (no polling).
/// The destructor waits (join) unless cancelled; join() rethrows the function's exception.
class Timer {
 public:
  template <class F>
  requires std::invocable<std::decay_t<F>> Timer(Duration interval, F function)
      : Timer(interval, concur::detail::make_target(std::move(function))) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

  /// Throws std::logic_error if already started.
  void start();
  /// Stops the timer if it has not fired yet (harmless afterwards, or before start()).
  void cancel();
  void join();
  bool join_for(Duration timeout);
  bool is_alive() const;

 private:
  Timer(Duration interval, std::unique_ptr<concur::detail::Target> function);
  Duration interval_;
  std::unique_ptr<concur::detail::Target> function_;
  Event cancelled_;
  concur::detail::Clock::time_point deadline_{};
  std::atomic<bool> started_{false};
  Thread thread_;
};

/// Threads started through concur::threading::Thread and still running, plus the main thread.
unsigned active_count();

}  // namespace concur::threading
