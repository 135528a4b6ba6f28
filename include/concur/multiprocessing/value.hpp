// concur/multiprocessing/value.hpp — a scalar shared between processes, with its lock.
//
//   concur::multiprocessing::Value<long> counter(0);
//   Process p(+[](Value<long> c) {
//     std::lock_guard lock(c.get_lock());
//     c.set(c.get() + 1);
//   }, counter);
//
// The value and a pthread mutex (PTHREAD_PROCESS_SHARED, robust: a holder that dies does not
// wedge the others) live in one SharedMemory; copies of a Value share both. get() and set()
// take the lock themselves; hold get_lock() around a read-modify-write (it is recursive, as
// Python's RLock, so get() and set() work while you hold it).
//
// Thread safety: safe from any thread of any process holding a handle.
#pragma once

#include <pthread.h>

#include <cstring>
#include <mutex>
#include <type_traits>

#include "concur/multiprocessing/shared_memory.hpp"

namespace concur::multiprocessing {

namespace detail {
/// A BasicLockable over a process-shared robust pthread mutex living in shared memory.
class ProcessLock {
 public:
  explicit ProcessLock(pthread_mutex_t* m = nullptr) : m_(m) {}
  /// Blocks; recovers the lock if its holder died. Throws std::system_error on failure.
  void lock();
  bool try_lock();
  void unlock();
  /// Initialises `m` as a process-shared robust mutex. Throws std::system_error.
  static void init(pthread_mutex_t* m, bool recursive = false);

 private:
  pthread_mutex_t* m_;
};
}  // namespace detail

/// A shared scalar of a trivially copyable T with a process-shared lock; copies share it.
/// Throws std::system_error if the shared memory cannot be made.
template <class T>
class Value {
  static_assert(std::is_trivially_copyable_v<T>, "Value<T> needs a trivially copyable T");
  struct Cell {
    pthread_mutex_t mutex;
    T value;
  };

 public:
  explicit Value(T initial = {}) : mem_(sizeof(Cell)) {
    detail::ProcessLock::init(&cell()->mutex, true);
    std::memcpy(static_cast<void*>(&cell()->value), &initial, sizeof(T));
    lock_ = detail::ProcessLock(&cell()->mutex);
  }
  Value(const Value& o) : mem_(o.mem_), lock_(&cell()->mutex) {}
  Value& operator=(const Value& o) {
    mem_ = o.mem_;
    lock_ = detail::ProcessLock(&cell()->mutex);
    return *this;
  }

  T get() const {
    std::lock_guard<detail::ProcessLock> g(lock_);
    return cell()->value;
  }
  void set(T v) {
    std::lock_guard<detail::ProcessLock> g(lock_);
    cell()->value = v;
  }
  /// The process-shared lock (BasicLockable: lock(), unlock(), try_lock()).
  detail::ProcessLock& get_lock() { return lock_; }

  template <class Archive>
  void save(Archive& ar) const {
    ar(mem_);
  }
  template <class Archive>
  void load(Archive& ar) {
    ar(mem_);
    lock_ = detail::ProcessLock(&cell()->mutex);
  }

 private:
  Cell* cell() const { return reinterpret_cast<Cell*>(const_cast<std::byte*>(mem_.data())); }
  SharedMemory mem_;
  mutable detail::ProcessLock lock_;
};

}  // namespace concur::multiprocessing
