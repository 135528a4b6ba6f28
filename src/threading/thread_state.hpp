// src/threading/thread_state.hpp — what a Thread and its running OS thread share, and the
// registry of live threads behind enumerate()/active_count() (private to concur::threading).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "concur/detail/sync/event_core.hpp"
#include "concur/detail/threading_target.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/thread.hpp"

namespace concur::threading::detail {

struct ThreadState {
  std::unique_ptr<concur::detail::Target> target;
  std::thread thread;

  mutable Lock m;  // guards everything below but the two events (clang checks it)
  std::string name CONCUR_GUARDED_BY(m);
  bool daemon CONCUR_GUARDED_BY(m) = false;
  bool started CONCUR_GUARDED_BY(m) = false;
  bool finished CONCUR_GUARDED_BY(m) = false;        // the target has returned or thrown
  bool exception_seen CONCUR_GUARDED_BY(m) = false;  // a join() rethrew it, or it went to the hook
  bool detached CONCUR_GUARDED_BY(m) = false;        // a daemon whose Thread object is gone
  bool orphaned CONCUR_GUARDED_BY(m) = false;  // in a fork()ed child: the OS thread is not here
  std::exception_ptr exception CONCUR_GUARDED_BY(m);
  std::uint64_t ident CONCUR_GUARDED_BY(m) = 0;
  pid_t tid CONCUR_GUARDED_BY(m) = 0;

  concur::detail::sync::EventCore running;  // set once tid and the OS name are in place
  concur::detail::sync::EventCore done;     // set once the target has finished

  Lock join_m;  // serialises std::thread::join between concurrent joiners
};

/// Registry of live Threads (started, target not finished). Also installs, on first use, the
/// exit handler that waits for non-daemon threads and the fork handler that forgets the threads
/// a child does not have.
void register_thread(const std::shared_ptr<ThreadState>& s);
void unregister_thread(const ThreadState* s);
/// The ThreadState of the calling thread, or nullptr (main thread, foreign thread).
ThreadState* current_state() noexcept;
void set_current_state(ThreadState* s) noexcept;
/// Sends an exception nobody joined to the excepthook (never throws).
void report_exception(const std::exception_ptr& e, const std::string& name,
                      std::uint64_t ident) noexcept;
/// The next N of "Thread-N" / "Dummy-N" (one counter, as Python's).
unsigned next_thread_number() noexcept;

}  // namespace concur::threading::detail
