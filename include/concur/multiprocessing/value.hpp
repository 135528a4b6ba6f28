// concur/multiprocessing/value.hpp — a scalar shared between processes, with its lock.
//
//   concur::multiprocessing::Value<long> counter(0);
//   Process p(+[](Value<long> c) {
//     std::lock_guard lock(c.get_lock());   // a read-modify-write needs the lock held
//     c.set(c.get() + 1);
//   }, counter);
//
// The value and a process-shared RLock (<concur/multiprocessing/synchronize.hpp>: robust, a
// holder that dies does not wedge the others) live in one memfd; copies of a Value, and
// handles passed to a Process or task, share both. As Python's Value(lock=True), get() and
// set() take the lock themselves (it is re-entrant, so they work while you hold it);
// Value(v, false) is Python's lock=False: get() and set() do not lock (get_lock() still works).
//
// Throws: the constructor std::system_error if the shared memory cannot be made.
// Thread safety: safe from any thread of any process holding a handle (get/set are atomic
// with respect to each other when the Value locks; a read-modify-write needs get_lock()).
#pragma once

#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/shared_memory.hpp"
#include "concur/multiprocessing/synchronize.hpp"

namespace concur::multiprocessing {

/// A shared scalar of a trivially copyable T with a process-shared RLock; copies share it.
template <class T>
class Value {
  static_assert(std::is_trivially_copyable_v<T>, "Value<T> needs a trivially copyable T");
  struct Cell {
    detail::RLockWords lock;  // first: at offset 0 of the memfd
    std::uint32_t locking;    // get()/set() take the lock (Python's lock=True)
    T value;
  };

 public:
  /// A new shared value `initial`, whose get() and set() take its lock. Throws
  /// std::system_error when the shared memory cannot be made.
  explicit Value(T initial = {}) : Value(initial, true) {}
  /// `lock = false`: get() and set() do not take the lock (Python's Value(..., lock=False)).
  Value(T initial, bool lock) : mem_(sizeof(Cell)) {
    Cell* c = new (const_cast<std::byte*>(mem_.data())) Cell{};
    c->locking = lock ? 1 : 0;
    std::memcpy(static_cast<void*>(&c->value), &initial, sizeof(T));
    lock_ = RLock(detail::SyncHandle(mem_, 0));
    cell_ = c;
  }
  /// Another handle to the same shared value and lock (both see every change). Never throws.
  Value(const Value&) = default;
  /// Makes this a handle to `o`'s shared value and lock. Never throws.
  Value& operator=(const Value&) = default;
  /// Takes `o`'s handle; a moved-from Value holds nothing (as its SharedMemory: no pointer into
  /// a mapping it no longer keeps) and may only be assigned to or destroyed.
  Value(Value&& o) noexcept
      : mem_(std::move(o.mem_)),
        lock_(std::move(o.lock_)),
        cell_(std::exchange(o.cell_, nullptr)) {}
  /// Takes `o`'s handle, dropping this one's; `o` then holds nothing.
  Value& operator=(Value&& o) noexcept {
    mem_ = std::move(o.mem_);
    lock_ = std::move(o.lock_);
    cell_ = std::exchange(o.cell_, nullptr);
    return *this;
  }

  /// The value (read under the lock unless made with lock = false).
  T get() const {
    if (!cell()->locking) return load_();
    std::lock_guard<RLock> g(lock_);
    return load_();
  }
  /// Stores `v` (under the lock unless made with lock = false). For a read-modify-write, hold
  /// get_lock() around get() and set().
  void set(T v) {
    if (!cell()->locking) return store_(v);
    std::lock_guard<RLock> g(lock_);
    store_(v);
  }
  /// The process-shared RLock guarding the value.
  RLock& get_lock() { return lock_; }

  /// Serialisation (cereal) of the handle: the memory travels as an fd, the receiver shares it.
  template <class Archive>
  void save(Archive& ar) const {
    ar(mem_);
  }
  /// Receives a handle written by save(). Throws ProcessError if it arrived damaged.
  template <class Archive>
  void load(Archive& ar) {
    cell_ = nullptr;
    ar(mem_);
    if (mem_.size() < sizeof(Cell))
      throw ProcessError("concur::multiprocessing: a Value handle arrived damaged");
    lock_ = RLock(detail::SyncHandle(mem_, 0));
    cell_ = reinterpret_cast<Cell*>(const_cast<std::byte*>(mem_.data()));
  }

 private:
  // The cell's address, kept beside the mapping that holds it (one load per get() or set()).
  Cell* cell() const { return cell_; }
  T load_() const {
    T v;
    std::memcpy(static_cast<void*>(&v), static_cast<const void*>(&cell()->value), sizeof(T));
    return v;
  }
  void store_(T v) {
    std::memcpy(static_cast<void*>(&cell()->value), static_cast<const void*>(&v), sizeof(T));
  }
  SharedMemory mem_;
  mutable RLock lock_{detail::SyncHandle{}};
  Cell* cell_ = nullptr;
};

}  // namespace concur::multiprocessing
