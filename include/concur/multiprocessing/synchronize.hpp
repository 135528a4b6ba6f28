// concur/multiprocessing/synchronize.hpp — Python's multiprocessing.synchronize: Lock, RLock,
// Condition, Semaphore, BoundedSemaphore, Event and Barrier shared between processes.
//
//   namespace mp = concur::multiprocessing;
//   mp::Lock lock;
//   mp::Value<long> counter(0, /*lock=*/false);
//   mp::Process p(+[](mp::Lock l, mp::Value<long> c) {
//     std::scoped_lock guard(l);           // Lockable, as concur::threading::Lock
//     c.set(c.get() + 1);
//   }, lock, counter);
//
// Each object lives in shared memory (a memfd mapped MAP_SHARED); the C++ objects are handles:
// copies share one lock, and a handle passed to a Process, a Pool task or through a Queue or
// Connection is the same lock in that process (its fd travels, SCM_RIGHTS). Members and
// semantics are concur::threading's classes of the same names (<concur/threading.hpp>), run by
// the same algorithms (concur/detail/sync) on process-shared futexes:
// - acquire(blocking, timeout): false when not acquired in time; a negative timeout, or a
//   timeout with blocking = false, throws std::invalid_argument (Python's ValueError).
// - Lock::release() of an unlocked Lock, RLock::release() by a thread that does not own it,
//   Condition::wait()/notify() without holding its lock: std::logic_error (RuntimeError /
//   AssertionError). BoundedSemaphore::release() above its initial value: std::invalid_argument.
// - Barrier::wait() throws concur::threading::BrokenBarrierError when broken (timeout, abort(),
//   reset() during the wait). Its action is a function pointer or capture-less lambda, run by
//   the last process to arrive (whatever its start method: the action is stored as module +
//   offset, as spawn sends functions).
// Beyond Python: a Lock or RLock whose holder process dies (a crash, SIGKILL) is taken over by
// the next acquirer within about 50 ms — never a hang. (Python's stay locked forever.) A thread
// of a live process that exits holding an RLock still holds it, as in Python.
//
// Throws: constructors std::system_error when the shared memory cannot be made; a handle that
// arrives damaged (wrong size) ProcessError.
// Thread safety: every member is safe from any thread of any process holding a handle.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "concur/detail/core/deadline.hpp"
#include "concur/detail/sync/barrier_core.hpp"
#include "concur/detail/sync/condition_core.hpp"
#include "concur/detail/sync/event_core.hpp"
#include "concur/detail/sync/semaphore_core.hpp"
#include "concur/duration.hpp"
#include "concur/multiprocessing/detail/robust_word.hpp"
#include "concur/multiprocessing/detail/trampolines.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/shared_memory.hpp"
#include "concur/threading.hpp"

namespace concur::multiprocessing {

namespace detail {

using concur::detail::Deadline;

/// The handle part every synchronisation class shares: a block of shared memory and the offset
/// of the object's words in it (objects may live inside another one's block: Value's RLock).
/// The words' address is kept beside the block (it is fixed while the handle holds the
/// mapping), so reaching them is one load, not a walk through the mapping: a lock's
/// uncontended lock() and unlock() pay for little but their atomic operations.
class SyncHandle {
 public:
  SyncHandle() = default;
  SyncHandle(SharedMemory mem, std::size_t offset)
      : mem_(std::move(mem)), off_(offset), words_(address()) {}
  SyncHandle(const SyncHandle&) = default;
  SyncHandle& operator=(const SyncHandle&) = default;
  // A moved-from handle is empty (as its SharedMemory): words() throws, never dangles.
  SyncHandle(SyncHandle&& o) noexcept
      : mem_(std::move(o.mem_)), off_(o.off_), words_(std::exchange(o.words_, nullptr)) {}
  SyncHandle& operator=(SyncHandle&& o) noexcept {
    mem_ = std::move(o.mem_);
    off_ = o.off_;
    words_ = std::exchange(o.words_, nullptr);
    return *this;
  }
  /// The object's words. Throws ProcessError on an empty handle.
  template <class W>
  W& words() const {
    if (words_ == nullptr) [[unlikely]]
      throw ProcessError("concur::multiprocessing: an empty synchronisation handle");
    return *reinterpret_cast<W*>(words_);
  }
  const SharedMemory& memory() const { return mem_; }

  template <class Archive>
  void save(Archive& ar) const {
    ar(mem_, static_cast<std::uint64_t>(off_));
  }
  /// Loads a received handle; `size` is the size of the words it must hold.
  template <class Archive>
  void load_checked(Archive& ar, std::size_t size) {
    std::uint64_t off = 0;
    words_ = nullptr;
    ar(mem_, off);
    if (off > mem_.size() || mem_.size() - off < size)
      throw ProcessError("concur::multiprocessing: a synchronisation handle arrived damaged");
    off_ = static_cast<std::size_t>(off);
    words_ = address();
  }

 private:
  std::byte* address() const {
    std::byte* base = const_cast<std::byte*>(mem_.data());
    return base == nullptr ? nullptr : base + off_;
  }
  SharedMemory mem_;
  std::size_t off_ = 0;
  std::byte* words_ = nullptr;
};

struct LockWords {
  std::atomic<std::uint32_t> word;  // robust: 0 free, else (owner pid << 1) | waiters
};
struct RLockWords {
  std::atomic<std::uint32_t> word;
  std::atomic<std::uint32_t> count;
  std::atomic<std::uint64_t> owner;  // (pid << 32) | tid, 0 = nobody
};

/// This thread's identity across processes: (pid << 32) | tid.
std::uint64_t self_thread_id() noexcept;
Deadline acquire_deadline(bool blocking, const std::optional<Duration>& timeout);
template <class Clock, class D>
Deadline deadline_at(std::chrono::time_point<Clock, D> t) {
  if constexpr (std::is_same_v<Clock, std::chrono::steady_clock>)
    return Deadline::at(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(t));
  else
    return Deadline::after(t - Clock::now());
}

}  // namespace detail

/// A process-shared lock that any thread of any process may release (Python's). Robust.
class Lock {
 public:
  /// Makes a new, unlocked lock in its own shared memory. Throws std::system_error when the
  /// memory cannot be made.
  Lock();
  /// A handle to no lock (to be assigned); SharedArray() uses it.
  static Lock empty_handle() { return Lock(detail::SyncHandle{}); }
  /// Takes the lock: waits for it (at most `timeout`, forever without one) unless `blocking` is
  /// false. Returns whether it was taken. Throws std::invalid_argument for a negative timeout or
  /// a timeout with `blocking` false. A holder process that died is taken over (~50 ms).
  bool acquire(bool blocking = true, std::optional<Duration> timeout = {});
  /// Throws std::logic_error if it was not locked.
  void release() {
    if (!detail::robust_unlock(w_().word)) [[unlikely]]
      release_unlocked_();
  }
  /// A snapshot: true while some process holds it.
  bool locked() const;
  /// Lockable: acquire() without a timeout.
  void lock() { detail::robust_lock(w_().word, detail::Deadline::never()); }
  /// Lockable: acquire(false), without waiting.
  bool try_lock() { return detail::robust_try_lock(w_().word); }
  /// Lockable: release().
  void unlock() { release(); }
  /// TimedLockable: acquire() waiting at most `timeout`.
  template <class Rep, class Per>
  bool try_lock_for(std::chrono::duration<Rep, Per> timeout) {
    return acquire_until_(detail::Deadline::after(timeout));
  }
  /// TimedLockable: acquire() waiting until `t` (any clock; a non-steady one is read once).
  template <class Clock, class D>
  bool try_lock_until(std::chrono::time_point<Clock, D> t) {
    return acquire_until_(detail::deadline_at(t));
  }

  /// Serialisation (cereal) of the handle: the memfd travels (SCM_RIGHTS), so the receiver
  /// shares this lock.
  template <class Archive>
  void save(Archive& ar) const {
    h_.save(ar);
  }
  /// Receives a handle written by save(). Throws ProcessError if it arrived damaged.
  template <class Archive>
  void load(Archive& ar) {
    h_.load_checked(ar, sizeof(detail::LockWords));
  }

 private:
  friend class Condition;
  explicit Lock(detail::SyncHandle h) : h_(std::move(h)) {}
  bool acquire_until_(const detail::Deadline& deadline);
  // lock() and unlock() are inline: uncontended, one CAS and one exchange on the shared word
  // (as threading::Lock's), so a std::scoped_lock around a short critical section costs what
  // it does with threads.
  [[noreturn]] static void release_unlocked_();
  /// Held by this process (Condition's check).
  bool is_mine_() const;
  detail::LockWords& w_() const { return h_.words<detail::LockWords>(); }
  detail::SyncHandle h_;
};

/// A process-shared re-entrant lock: the owning thread may acquire it again. Robust.
class RLock {
 public:
  /// Makes a new, unowned re-entrant lock in its own shared memory. Throws std::system_error.
  RLock();
  /// Takes one level: immediately if the calling thread owns it, otherwise waits (at most
  /// `timeout`) unless `blocking` is false. Returns whether it was taken. Throws
  /// std::invalid_argument for a negative timeout or a timeout with `blocking` false;
  /// std::overflow_error past 2^32-1 nested levels.
  bool acquire(bool blocking = true, std::optional<Duration> timeout = {});
  /// One level down. Throws std::logic_error unless the calling thread owns it.
  void release();
  /// Lockable: acquire() without a timeout.
  void lock() { acquire(); }
  /// Lockable: acquire(false), without waiting.
  bool try_lock();
  /// Lockable: release().
  void unlock() { release(); }
  /// TimedLockable: acquire() waiting at most `timeout`.
  template <class Rep, class Per>
  bool try_lock_for(std::chrono::duration<Rep, Per> timeout) {
    return acquire_until_(detail::Deadline::after(timeout));
  }
  /// TimedLockable: acquire() waiting until `t`.
  template <class Clock, class D>
  bool try_lock_until(std::chrono::time_point<Clock, D> t) {
    return acquire_until_(detail::deadline_at(t));
  }

  /// Serialisation (cereal) of the handle: the memfd travels, the receiver shares this lock.
  template <class Archive>
  void save(Archive& ar) const {
    h_.save(ar);
  }
  /// Receives a handle written by save(). Throws ProcessError if it arrived damaged.
  template <class Archive>
  void load(Archive& ar) {
    h_.load_checked(ar, sizeof(detail::RLockWords));
  }

 private:
  friend class Condition;
  template <class T>
  friend class Value;
  explicit RLock(detail::SyncHandle h) : h_(std::move(h)) {}
  bool acquire_until_(const detail::Deadline& deadline);
  bool is_mine_() const;
  std::uint32_t release_save_();
  void acquire_restore_(std::uint32_t depth);
  detail::RLockWords& w_() const { return h_.words<detail::RLockWords>(); }
  detail::SyncHandle h_;
};

/// Python's multiprocessing.Condition: a lock (its own RLock, or a given Lock/RLock) with
/// wait/notify. Itself Lockable.
class Condition {
 public:
  Condition();  ///< with its own RLock
  /// A condition over `lock` (shared: other handles of it lock the same lock).
  /// Throws std::system_error when the shared memory cannot be made.
  explicit Condition(Lock lock);
  /// A condition over the re-entrant `lock`. Throws std::system_error.
  explicit Condition(RLock lock);
  /// Acquires the underlying lock (see Lock::acquire / RLock::acquire).
  bool acquire(bool blocking = true, std::optional<Duration> timeout = {});
  /// Releases the underlying lock. Throws std::logic_error if the caller does not hold it.
  void release();
  /// Lockable: acquire() without a timeout.
  void lock() { acquire(); }
  /// Lockable: acquire(false).
  bool try_lock() { return acquire(false); }
  /// Lockable: release().
  void unlock() { release(); }
  /// Caller holds the lock (else std::logic_error). Releases it, waits for a notify or the
  /// timeout, takes it back; false on timeout.
  bool wait(std::optional<Duration> timeout = {});
  /// Python's wait_for: waits until predicate() is true or the timeout passes; returns the
  /// predicate's last value.
  template <class P>
  bool wait_for(P predicate, std::optional<Duration> timeout = {}) {
    concur::detail::check_timeout(timeout);
    const auto deadline = detail::Deadline::after(timeout);
    bool result = predicate();
    while (!result) {
      if (timeout && deadline.expired()) break;
      wait_until_(deadline);
      result = predicate();
    }
    return result;
  }
  /// Wakes min(n, waiting) waiters. Caller holds the lock (else std::logic_error).
  void notify(std::size_t n = 1);
  /// Wakes every waiter. Caller holds the lock (else std::logic_error).
  void notify_all();

  /// Serialisation (cereal): the condition's memory and its lock travel as handles.
  template <class Archive>
  void save(Archive& ar) const {
    h_.save(ar);
    ar(rlock_);
    if (rlock_)
      ar(r_);
    else
      ar(l_);
  }
  /// Receives a condition written by save(). Throws ProcessError if it arrived damaged.
  template <class Archive>
  void load(Archive& ar) {
    h_.load_checked(ar, sizeof(concur::detail::sync::ConditionCore));
    ar(rlock_);
    if (rlock_)
      ar(r_);
    else
      ar(l_);
  }

 private:
  bool wait_until_(const detail::Deadline& deadline);
  void check_owned_(const char* what) const;
  concur::detail::sync::ConditionCore& core_() const {
    return h_.words<concur::detail::sync::ConditionCore>();
  }
  detail::SyncHandle h_;
  bool rlock_ = true;
  RLock r_{detail::SyncHandle{}};  // the one in use; the other stays an empty handle
  Lock l_{detail::SyncHandle{}};
};

/// A process-shared counting semaphore (Python's multiprocessing.Semaphore). Lockable.
class Semaphore {
 public:
  /// Throws std::invalid_argument above 2^32-1.
  explicit Semaphore(std::size_t value = 1);
  /// Decrements the value, waiting (at most `timeout`) while it is 0 unless `blocking` is
  /// false. Returns whether it was decremented. Throws std::invalid_argument for a negative
  /// timeout or a timeout with `blocking` false.
  bool acquire(bool blocking = true, std::optional<Duration> timeout = {});
  /// Adds n. Over 2^32-1 (or a BoundedSemaphore's initial value): std::invalid_argument.
  void release(std::size_t n = 1);
  /// The current value (Python's get_value()).
  std::size_t get_value() const;
  /// Lockable: acquire() without a timeout.
  void lock() { acquire(); }
  /// Lockable: acquire(false).
  bool try_lock() { return acquire(false); }
  /// Lockable: release(1).
  void unlock() { release(); }

  /// Serialisation (cereal) of the handle: the receiver shares this semaphore.
  template <class Archive>
  void save(Archive& ar) const {
    h_.save(ar);
  }
  /// Receives a handle written by save(). Throws ProcessError if it arrived damaged.
  template <class Archive>
  void load(Archive& ar) {
    h_.load_checked(ar, sizeof(Words));
  }

 protected:
  /// For BoundedSemaphore: `bounded` makes release() above `value` throw.
  Semaphore(std::size_t value, bool bounded);

 private:
  struct Words {
    concur::detail::sync::SemaphoreCore core;
    std::uint32_t bound;
  };
  Words& w_() const { return h_.words<Words>(); }
  detail::SyncHandle h_;
};

/// A Semaphore whose release() above the initial value throws std::invalid_argument.
class BoundedSemaphore : public Semaphore {
 public:
  /// A semaphore starting at (and bounded by) `value`. Throws std::invalid_argument above
  /// 2^32-1, std::system_error when the shared memory cannot be made.
  explicit BoundedSemaphore(std::size_t value = 1) : Semaphore(value, true) {}
};

/// A process-shared flag processes can wait for (Python's multiprocessing.Event).
class Event {
 public:
  /// Makes a new, clear event in its own shared memory. Throws std::system_error.
  Event();
  /// Sets the flag and wakes every waiter in every process.
  void set();
  /// Clears the flag: later wait() calls block until the next set().
  void clear();
  /// A snapshot of the flag.
  bool is_set() const;
  /// True once set (at some point of the wait); false after the timeout.
  bool wait(std::optional<Duration> timeout = {});

  /// Serialisation (cereal) of the handle: the receiver shares this event.
  template <class Archive>
  void save(Archive& ar) const {
    h_.save(ar);
  }
  /// Receives a handle written by save(). Throws ProcessError if it arrived damaged.
  template <class Archive>
  void load(Archive& ar) {
    h_.load_checked(ar, sizeof(concur::detail::sync::EventCore));
  }

 private:
  concur::detail::sync::EventCore& core_() const {
    return h_.words<concur::detail::sync::EventCore>();
  }
  detail::SyncHandle h_;
};

/// A process-shared barrier for `parties` processes (or threads of them), Python's semantics.
class Barrier {
 public:
  /// An empty handle, to be assigned (receiving a Barrier as a task argument needs one).
  Barrier() = default;
  /// A barrier for `parties` waiters without an action; `timeout` is wait()'s default. Throws
  /// std::invalid_argument for parties == 0 or a negative timeout, std::system_error when the
  /// memory cannot be made.
  explicit Barrier(std::size_t parties, std::optional<Duration> timeout = {})
      : Barrier(parties, 0, 0, timeout) {}
  /// A barrier whose `action` (a function pointer or capture-less lambda) runs once per cycle
  /// in the last process to arrive — at its own address there: the action is kept as (module,
  /// offset), so a spawned process runs it too. Throws as the constructor without an action,
  /// and std::invalid_argument for an action in a library whose path exceeds 499 bytes,
  /// ProcessError for an action in no loaded module.
  template <class F>
  requires(!std::convertible_to<F, std::optional<Duration>>)
      Barrier(std::size_t parties, F action, std::optional<Duration> timeout = {})
      : Barrier(parties, reinterpret_cast<std::uintptr_t>(&run_action<F>),
                detail::fn_address(action), timeout) {}

  /// This process's index in the cycle (0..parties-1). Throws
  /// concur::threading::BrokenBarrierError, the action's exception (in the process that ran
  /// it), std::invalid_argument for a negative timeout.
  std::size_t wait(std::optional<Duration> timeout = {});
  /// Back to the initial, empty state; current waiters get BrokenBarrierError.
  void reset();
  /// Puts the barrier in the broken state: current and future wait() calls throw
  /// BrokenBarrierError until reset().
  void abort();
  /// The number of waiters a cycle needs.
  std::size_t parties() const;
  /// A snapshot: how many are waiting in the current cycle.
  std::size_t n_waiting() const;
  /// Whether the barrier is broken (see abort()).
  bool broken() const;

  /// Serialisation (cereal) of the handle: the receiver shares this barrier.
  template <class Archive>
  void save(Archive& ar) const {
    h_.save(ar);
  }
  /// Receives a handle written by save(). Throws ProcessError if it arrived damaged.
  template <class Archive>
  void load(Archive& ar) {
    h_.load_checked(ar, sizeof(Words));
  }

 private:
  // A code address as (module path, offset from its load bias): valid in every process of
  // this program, forked or spawned (a raw address is not: ASLR loads a spawned program
  // elsewhere).
  struct CodeRef {
    std::uint64_t offset;
    std::uint32_t present;  // 0: no address
    char module[500];       // NUL-terminated; "" is the program itself
  };
  struct Words {
    concur::detail::sync::BarrierCore core;
    CodeRef trampoline, fn;  // the action (trampoline.present == 0: none)
    double timeout;          // < 0: none
  };
  template <class F>
  static void run_action(std::uintptr_t fn) {
    detail::fn_from<F>(fn)();
  }
  Barrier(std::size_t parties, std::uintptr_t trampoline, std::uintptr_t fn,
          std::optional<Duration> timeout);
  Words& w_() const { return h_.words<Words>(); }
  detail::SyncHandle h_;
};

}  // namespace concur::multiprocessing
