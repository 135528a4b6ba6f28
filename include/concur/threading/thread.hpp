// concur/threading/thread.hpp — Python's threading.Thread and the module's thread functions (part
// of <concur/threading.hpp>).
//
//   using namespace concur::threading;
//   Thread t({.name = "greeter"}, [](int n) { greet(n); }, 7);   // nothing runs yet, as in Python
//   t.start();                                   // name shows in ps -L, top -H and gdb
//   t.join();                                    // rethrows what the target threw (*beyond*)
//   Thread bg({.daemon = true}, [] { serve_forever(); });
//   bg.start();                                  // ~Thread detaches it; exit does not wait for it
//
// Errors: start() twice, join() before start(), join() from the thread itself and set_daemon()
// after start() throw std::logic_error (Python: RuntimeError); start() throws std::system_error if
// the OS cannot create the thread. join()/join_for() rethrow the target's exception on every call
// once the thread has finished.
// Lifetime: a non-daemon Thread's destructor waits for it (Python waits for non-daemon threads at
// exit; so does concur, at exit, for one still running — e.g. a leaked or static Thread). A daemon
// Thread's destructor detaches it and the process does not wait for it at exit. A target's
// exception that no join() has seen goes to the excepthook (set_excepthook(); by default it prints
// "Exception in thread NAME: what()" to stderr) when the Thread is destroyed, or when a detached
// daemon thread ends.
// Names: the OS keeps at most 15 bytes (pthread_setname_np); longer names are truncated for the OS
// only (at a UTF-8 character boundary); name() returns the full name.
// Thread safety: every member and function here may be called from any thread.
#pragma once

#include <sys/types.h>

#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/detail/threading_target.hpp"
#include "concur/duration.hpp"
#include "concur/threading/lock.hpp"  // get_ident()

namespace concur::threading {

/// Options of a Thread: name "" = "Thread-N" (N counts the Threads created, from 1).
struct ThreadOptions {
  /// The thread's name; "" picks "Thread-N". (An initializer: {.daemon = true} then compiles
  /// warning-free.)
  std::string name{};
  /// A daemon thread is detached, not joined, by the Thread's destructor.
  bool daemon = false;
};

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
      : Thread(ThreadOptions{},
               concur::detail::make_target(std::move(target), std::move(args)...)) {}
  /// As Thread(target, args...), named and daemonised as `options` say.
  template <class F, class... A>
  requires std::invocable<std::decay_t<F>, std::decay_t<A>...> Thread(ThreadOptions options,
                                                                      F target, A... args)
      : Thread(std::move(options),
               concur::detail::make_target(std::move(target), std::move(args)...)) {}
  /// Takes over the thread (started or not); the source is left empty.
  Thread(Thread&&) noexcept;
  Thread& operator=(Thread&&) = delete;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;
  /// Non-daemon: waits for a started thread to finish. Daemon: detaches it. Never throws.
  ~Thread();

  /// Starts the thread; on return it is alive and ident()/native_id() are set. Throws
  /// std::logic_error if already started, std::system_error if the OS cannot create it.
  void start();
  /// Waits for the thread; rethrows its target's exception. Throws std::logic_error before
  /// start() or when called from the thread itself.
  void join();
  /// join() with a timeout on the monotonic clock: false if still running at the deadline.
  bool join_for(Duration timeout);
  /// Started and not yet finished.
  bool is_alive() const;
  /// "Thread-N" unless named.
  std::string name() const;
  /// Also renames the running OS thread (first 15 bytes).
  void set_name(std::string name);
  /// Whether it is a daemon thread (detached by the destructor).
  bool daemon() const;
  /// Throws std::logic_error once started.
  void set_daemon(bool daemon);
  /// Python's ident (get_ident() inside the thread); nullopt before start(), as Python's None.
  std::optional<std::uint64_t> ident() const;
  /// The kernel's thread id (Python's native_id); nullopt before start().
  std::optional<pid_t> native_id() const;

 private:
  Thread(ThreadOptions options, std::unique_ptr<concur::detail::Target> target);
  std::shared_ptr<detail::ThreadState> state_;
};

/// One thread as the module functions describe it.
struct ThreadInfo {
  std::string name;         ///< "MainThread", a Thread's name, or "Dummy-N"
  std::uint64_t ident = 0;  ///< Python's ident (get_ident() in that thread)
  pid_t native_id = 0;      ///< the kernel's thread id
  bool daemon = false;      ///< whether it is a daemon thread
};

/// The calling thread: a concur Thread, the main thread ("MainThread"), or another thread
/// (named "Dummy-N", daemon, as Python's _DummyThread).
ThreadInfo current_thread();
/// The thread that initialised the process ("MainThread").
ThreadInfo main_thread();
/// Live threads started through concur::threading::Thread, plus the main thread (first).
std::vector<ThreadInfo> enumerate();
/// enumerate().size().
unsigned active_count();
/// The kernel's id of the calling thread (gettid).
pid_t get_native_id() noexcept;

/// What an excepthook receives.
struct ExceptHookArgs {
  std::exception_ptr exc;   ///< what the target threw
  std::string thread_name;  ///< the thread's name
  std::uint64_t ident = 0;  ///< the thread's ident
};
/// Python's threading.excepthook: called with a target's exception that no join() has seen
/// (see the top of this header). nullptr restores the default, which prints
/// "Exception in thread NAME: what()" to stderr. Exceptions thrown by the hook are ignored.
void set_excepthook(std::function<void(const ExceptHookArgs&)> hook);

}  // namespace concur::threading
