// concur::threading::Condition: Python's ownership checks around ConditionCore, with the borrowed
// Lock or RLock released completely while waiting (an RLock's depth is restored afterwards).
#include <climits>
#include <stdexcept>
#include <string>

#include "concur/threading/condition.hpp"

namespace concur::threading {

void Condition::check_owned(const char* what) const {
  // Python's _is_owned: for a plain Lock "owned" can only mean "locked" (it has no owner).
  const bool owned = lock_ ? lock_->core_.locked() : rlock_->core_.is_owned(get_ident());
  if (!owned) throw std::logic_error(std::string("cannot ") + what + " on un-acquired lock");
}

bool Condition::wait(std::optional<Duration> timeout) {
  concur::detail::check_timeout(timeout);
  return wait_until(concur::detail::Deadline::after(timeout));
}

bool Condition::wait_until(const concur::detail::Deadline& deadline) {
  check_owned("wait");
  if (lock_) {
    auto& l = lock_->core_;
    return core_.wait(
        deadline, false, [&] { l.release(false); }, [&] { l.acquire(false); });
  }
  auto& r = rlock_->core_;
  const std::uint64_t me = get_ident();
  std::uint32_t depth = 0;
  return core_.wait(
      deadline, false, [&] { depth = r.release_save(false); },
      [&] { r.acquire_restore(me, depth, false); });
}

void Condition::notify(std::size_t n) {
  check_owned("notify");
  core_.notify(n > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(n), false);
}

void Condition::notify_all() {
  check_owned("notify");
  core_.notify(UINT32_MAX, false);
}

}  // namespace concur::threading
