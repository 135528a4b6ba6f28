// concur/threading.hpp — Python's threading module: Thread, the locks, Condition, Semaphore,
// Barrier, Event and Timer, with Python's semantics (namespace concur::threading).
//
//   using namespace concur::threading;
//   Lock lock;  long counter = 0;
//   std::vector<Thread> threads;
//   for (int i = 0; i < 4; ++i)
//     threads.emplace_back([&] { for (int k = 0; k < 1000; ++k) { std::scoped_lock g(lock);
//     ++counter; } });
//   for (auto& t : threads) t.start();
//   for (auto& t : threads) t.join();           // counter == 4000
//
// The primitives are concur's own futex-based classes, not aliases of the std types: they have
// what Python programs use (acquire(timeout), locked(), notify(n), wait_for, a Barrier that times
// out, aborts and resets, a BoundedSemaphore that catches over-release) and each lock also meets
// the C++ named requirements (Lockable, TimedLockable where Python has a timeout), so
// std::scoped_lock, std::unique_lock and std::condition_variable_any work with them. None is built
// on std::atomic::wait (GCC 12 bug 106772).
//
// Errors: misuse Python answers with RuntimeError throws std::logic_error, ValueError is
// std::invalid_argument (negative timeouts everywhere). Timeouts run on CLOCK_MONOTONIC and
// survive EINTR without losing time; a timeout of zero polls.
// Thread safety: every member of every class here may be called from any thread.
//
//   threading/lock.hpp       Lock, RLock, LockGuard, get_ident()
//   threading/annotations.hpp  CONCUR_GUARDED_BY & co.: clang -Wthread-safety over these locks
//   threading/condition.hpp  Condition
//   threading/semaphore.hpp  Semaphore, BoundedSemaphore
//   threading/barrier.hpp    Barrier, BrokenBarrierError
//   threading/thread.hpp     Thread, ThreadOptions, current_thread(), enumerate(), excepthook...
//   threading/event.hpp      Event, Timer
#pragma once

#include "concur/threading/annotations.hpp"
#include "concur/threading/barrier.hpp"
#include "concur/threading/condition.hpp"
#include "concur/threading/event.hpp"
#include "concur/threading/lock.hpp"
#include "concur/threading/semaphore.hpp"
#include "concur/threading/thread.hpp"
