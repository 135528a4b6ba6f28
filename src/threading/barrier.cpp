// concur::threading::Barrier: BarrierCore plus Python's errors. The action runs with the core's
// small lock held, so reset()/abort() from inside it would deadlock: a thread-local marks the
// barrier whose action the thread is running, and those calls throw instead.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "concur/detail/core/deadline.hpp"
#include "concur/threading/barrier.hpp"

namespace concur::threading {

namespace {
thread_local const Barrier* t_running_action = nullptr;
}  // namespace

Barrier::Barrier(std::size_t parties, std::function<void()> action, std::optional<Duration> timeout)
    : action_(std::move(action)), timeout_(timeout) {
  if (parties == 0) throw std::invalid_argument("Barrier: parties must be >= 1");
  if (parties >= UINT32_MAX) throw std::invalid_argument("Barrier: parties above 2^32-2");
  concur::detail::check_timeout(timeout);
  core_.init(static_cast<std::uint32_t>(parties));
}

std::size_t Barrier::wait(std::optional<Duration> timeout) {
  if (!timeout) timeout = timeout_;
  concur::detail::check_timeout(timeout);
  const auto deadline = concur::detail::Deadline::after(timeout);
  const std::uint32_t index = core_.wait(deadline, false, [this] {
    if (!action_) return;
    struct Mark {
      const Barrier* saved;
      explicit Mark(const Barrier* b) : saved(t_running_action) { t_running_action = b; }
      ~Mark() { t_running_action = saved; }
    } mark(this);
    action_();
  });
  if (index == concur::detail::sync::BarrierCore::kBroken) throw BrokenBarrierError();
  return index;
}

void Barrier::check_not_in_action(const char* what) const {
  if (t_running_action == this)
    throw std::logic_error(std::string("Barrier::") + what +
                           "() called from the barrier's own action (it would deadlock)");
}

void Barrier::reset() {
  check_not_in_action("reset");
  core_.reset(false);
}

void Barrier::abort() {
  check_not_in_action("abort");
  core_.abort(false);
}

std::size_t Barrier::parties() const noexcept {
  return core_.parties.load(std::memory_order_relaxed);
}
std::size_t Barrier::n_waiting() const noexcept { return core_.n_waiting(); }
bool Barrier::broken() const noexcept { return core_.broken(); }

}  // namespace concur::threading
