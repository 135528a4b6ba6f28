// The process-shared synchronisation classes: each is a handle over words in a memfd; the
// algorithms are concur/detail/sync's (the threading classes' own) with shared = true, except
// the lock word of Lock and RLock, which is robust (multiprocessing/robust.hpp): it holds the
// owner's pid so that a lock whose holder died can be taken over.
#include "concur/multiprocessing/synchronize.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "multiprocessing/image.hpp"
#include "multiprocessing/robust.hpp"

namespace concur::multiprocessing {
namespace detail {
namespace {

constexpr bool kShared = true;

template <class W>
SyncHandle make_block() {
  SharedMemory mem(sizeof(W));  // zero-filled: every core's initial state
  new (const_cast<std::byte*>(mem.data())) W{};
  return SyncHandle(std::move(mem), 0);
}

struct ThreadIdCache {
  pid_t pid = 0;
  std::uint64_t id = 0;
};
thread_local ThreadIdCache t_id;

}  // namespace

std::uint64_t self_thread_id() noexcept {
  const pid_t pid = self_pid();
  if (t_id.pid != pid) {  // first use on this thread, or the first after fork()
    t_id.pid = pid;
    t_id.id =
        (static_cast<std::uint64_t>(pid) << 32) | static_cast<std::uint32_t>(::syscall(SYS_gettid));
  }
  return t_id.id;
}

Deadline acquire_deadline(bool blocking, const std::optional<Duration>& timeout) {
  if (!blocking) {
    if (timeout) throw std::invalid_argument("can't specify a timeout for a non-blocking call");
    return Deadline::after(Duration::zero());
  }
  concur::detail::check_timeout(timeout);
  return Deadline::after(timeout);
}

}  // namespace detail

using detail::Deadline;

// ---- Lock ----

Lock::Lock() : h_(detail::make_block<detail::LockWords>()) {}

bool Lock::acquire(bool blocking, std::optional<Duration> timeout) {
  if (blocking && !timeout) return acquire_until_(Deadline::never());
  return acquire_until_(detail::acquire_deadline(blocking, timeout));
}

bool Lock::acquire_until_(const Deadline& deadline) {
  return detail::robust_acquire(w_().word, deadline);
}

void Lock::release_unlocked_() { throw std::logic_error("release unlocked lock"); }

bool Lock::locked() const { return w_().word.load(std::memory_order_relaxed) != 0; }

bool Lock::is_mine_() const {
  return detail::owner_of(w_().word.load(std::memory_order_relaxed)) == detail::self_pid();
}

// ---- RLock ----

RLock::RLock() : h_(detail::make_block<detail::RLockWords>()) {}

bool RLock::acquire(bool blocking, std::optional<Duration> timeout) {
  if (blocking && !timeout) return acquire_until_(Deadline::never());
  return acquire_until_(detail::acquire_deadline(blocking, timeout));
}

bool RLock::try_lock() { return acquire_until_(Deadline::after(Duration::zero())); }

bool RLock::acquire_until_(const Deadline& deadline) {
  detail::RLockWords& w = w_();
  const std::uint64_t me = detail::self_thread_id();
  // Only this thread ever stores `me` in owner, so a relaxed read answers "is it mine" exactly.
  if (w.owner.load(std::memory_order_relaxed) == me) {
    const std::uint32_t c = w.count.load(std::memory_order_relaxed);
    if (c == UINT32_MAX) throw std::overflow_error("RLock: recursion too deep (2^32-1 levels)");
    w.count.store(c + 1, std::memory_order_relaxed);
    return true;
  }
  if (!detail::robust_acquire(w.word, deadline)) return false;
  // Also right after taking over a dead owner's lock: its owner and count are stale.
  w.owner.store(me, std::memory_order_relaxed);
  w.count.store(1, std::memory_order_relaxed);
  return true;
}

void RLock::release() {
  detail::RLockWords& w = w_();
  if (!is_mine_()) throw std::logic_error("cannot release un-acquired lock");
  const std::uint32_t left = w.count.load(std::memory_order_relaxed) - 1;
  w.count.store(left, std::memory_order_relaxed);
  if (left == 0) {
    w.owner.store(0, std::memory_order_relaxed);
    detail::robust_unlock(w.word);
  }
}

bool RLock::is_mine_() const {
  return w_().owner.load(std::memory_order_relaxed) == detail::self_thread_id();
}

std::uint32_t RLock::release_save_() {
  detail::RLockWords& w = w_();
  const std::uint32_t depth = w.count.load(std::memory_order_relaxed);
  w.count.store(0, std::memory_order_relaxed);
  w.owner.store(0, std::memory_order_relaxed);
  detail::robust_unlock(w.word);
  return depth;
}

void RLock::acquire_restore_(std::uint32_t depth) {
  detail::RLockWords& w = w_();
  detail::robust_lock(w.word, Deadline::never());
  w.owner.store(detail::self_thread_id(), std::memory_order_relaxed);
  w.count.store(depth, std::memory_order_relaxed);
}

// ---- Condition ----

Condition::Condition() : Condition(RLock()) {}
Condition::Condition(RLock lock)
    : h_(detail::make_block<concur::detail::sync::ConditionCore>()),
      rlock_(true),
      r_(std::move(lock)) {}
Condition::Condition(Lock lock)
    : h_(detail::make_block<concur::detail::sync::ConditionCore>()),
      rlock_(false),
      l_(std::move(lock)) {}

bool Condition::acquire(bool blocking, std::optional<Duration> timeout) {
  return rlock_ ? r_.acquire(blocking, timeout) : l_.acquire(blocking, timeout);
}
void Condition::release() { rlock_ ? r_.release() : l_.release(); }

void Condition::check_owned_(const char* what) const {
  if (!(rlock_ ? r_.is_mine_() : l_.is_mine_()))
    throw std::logic_error(std::string("cannot ") + what + " on un-acquired lock");
}

bool Condition::wait(std::optional<Duration> timeout) {
  concur::detail::check_timeout(timeout);
  return wait_until_(Deadline::after(timeout));
}

bool Condition::wait_until_(const Deadline& deadline) {
  check_owned_("wait");
  if (rlock_) {
    std::uint32_t depth = 0;
    return core_().wait(
        deadline, detail::kShared, [&] { depth = r_.release_save_(); },
        [&] { r_.acquire_restore_(depth); });
  }
  detail::LockWords& w = l_.w_();
  return core_().wait(
      deadline, detail::kShared, [&] { detail::robust_unlock(w.word); },
      [&] { detail::robust_lock(w.word, Deadline::never()); });
}

void Condition::notify(std::size_t n) {
  check_owned_("notify");
  core_().notify(n > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(n), detail::kShared);
}
void Condition::notify_all() { notify(UINT32_MAX); }

// ---- Semaphore ----

Semaphore::Semaphore(std::size_t value) : Semaphore(value, false) {}
Semaphore::Semaphore(std::size_t value, bool bounded) : h_(detail::make_block<Words>()) {
  if (value > UINT32_MAX - 1)
    throw std::invalid_argument("Semaphore: initial value must be < 2^32 - 1");
  w_().core.init(static_cast<std::uint32_t>(value));
  w_().bound = bounded ? static_cast<std::uint32_t>(value) : UINT32_MAX;
}

bool Semaphore::acquire(bool blocking, std::optional<Duration> timeout) {
  return w_().core.acquire_until(detail::acquire_deadline(blocking, timeout), detail::kShared);
}

void Semaphore::release(std::size_t n) {
  Words& w = w_();
  if (n > UINT32_MAX || !w.core.release(static_cast<std::uint32_t>(n), w.bound, detail::kShared))
    throw std::invalid_argument(w.bound == UINT32_MAX ? "Semaphore released too many times"
                                                      : "Semaphore released too many times "
                                                        "(above a BoundedSemaphore's value)");
}

std::size_t Semaphore::get_value() const { return w_().core.get_value(); }

// ---- Event ----

Event::Event() : h_(detail::make_block<concur::detail::sync::EventCore>()) {}
void Event::set() { core_().set(detail::kShared); }
void Event::clear() { core_().clear(); }
bool Event::is_set() const { return core_().is_set(); }
bool Event::wait(std::optional<Duration> timeout) {
  concur::detail::check_timeout(timeout);
  return core_().wait_until(Deadline::after(timeout), detail::kShared);
}

// ---- Barrier ----

Barrier::Barrier(std::size_t parties, std::uintptr_t trampoline, std::uintptr_t fn,
                 std::optional<Duration> timeout)
    : h_(detail::make_block<Words>()) {
  if (parties == 0 || parties > UINT32_MAX - 2)
    throw std::invalid_argument("Barrier: parties must be in 1..2^32-2");
  concur::detail::check_timeout(timeout);
  Words& w = w_();
  w.core.init(static_cast<std::uint32_t>(parties));
  const auto store = [](CodeRef& ref, std::uintptr_t addr) {
    if (addr == 0) return;
    const detail::CodeLocation loc = detail::locate_code(addr);
    if (loc.module.size() >= sizeof ref.module)
      throw std::invalid_argument("Barrier: the action's library path is longer than " +
                                  std::to_string(sizeof ref.module - 1) + " bytes");
    std::memcpy(ref.module, loc.module.c_str(), loc.module.size() + 1);
    ref.offset = loc.offset;
    ref.present = 1;
  };
  store(w.trampoline, trampoline);
  store(w.fn, fn);
  w.timeout = timeout ? timeout->count() : -1.0;
}

std::size_t Barrier::wait(std::optional<Duration> timeout) {
  concur::detail::check_timeout(timeout);
  Words& w = w_();
  if (!timeout && w.timeout >= 0) timeout = Duration(w.timeout);
  // The action at its address in this process (a ProcessError from resolving it breaks the
  // barrier, as an action's own exception does).
  const auto address = [](const CodeRef& ref) -> std::uintptr_t {
    if (ref.present == 0) return 0;
    const std::string module(ref.module, ::strnlen(ref.module, sizeof ref.module));
    return detail::resolve_code(module, ref.offset);
  };
  const auto action = [&w, &address] {
    if (w.trampoline.present == 0) return;
    const std::uintptr_t fn = address(w.fn);
    reinterpret_cast<void (*)(std::uintptr_t)>(address(w.trampoline))(fn);
  };
  const std::uint32_t index = w.core.wait(Deadline::after(timeout), detail::kShared, action);
  if (index == concur::detail::sync::BarrierCore::kBroken)
    throw concur::threading::BrokenBarrierError();
  return index;
}

void Barrier::reset() { w_().core.reset(detail::kShared); }
void Barrier::abort() { w_().core.abort(detail::kShared); }
std::size_t Barrier::parties() const { return w_().core.parties.load(std::memory_order_relaxed); }
std::size_t Barrier::n_waiting() const { return w_().core.n_waiting(); }
bool Barrier::broken() const { return w_().core.broken(); }

}  // namespace concur::multiprocessing
