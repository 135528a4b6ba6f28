// concur::threading::Event and Timer: a flag on a monotonic condition variable, and a thread
// that waits on such a flag until its deadline (no sleep-polling, so cancel() is immediate).
#include <stdexcept>

#include "concur/threading.hpp"

namespace concur::threading {

void Event::set() {
  std::lock_guard lk(m_);
  flag_ = true;
  cv_.notify_all();
}

void Event::clear() {
  std::lock_guard lk(m_);
  flag_ = false;
}

bool Event::is_set() const {
  std::lock_guard lk(m_);
  return flag_;
}

bool Event::wait(std::optional<Duration> timeout) {
  std::unique_lock lk(m_);
  if (!timeout) {
    cv_.wait(lk, [&] { return flag_; });
    return true;
  }
  return cv_.wait_until(lk, concur::detail::deadline_after(*timeout), [&] { return flag_; });
}

Timer::Timer(Duration interval, std::unique_ptr<concur::detail::Target> function)
    : interval_(interval), function_(std::move(function)), thread_([this] {
        if (cancelled_.wait(deadline_ - concur::detail::Clock::now())) return;
        function_->run();
      }) {}

Timer::~Timer() = default;  // thread_'s destructor waits for a started timer

void Timer::start() {
  // deadline_ is written before the thread starts: std::thread's creation orders it.
  if (started_.exchange(true)) throw std::logic_error("threads can only be started once");
  deadline_ = concur::detail::deadline_after(interval_);
  thread_.start();
}

void Timer::cancel() { cancelled_.set(); }
void Timer::join() { thread_.join(); }
bool Timer::join_for(Duration timeout) { return thread_.join_for(timeout); }
bool Timer::is_alive() const { return thread_.is_alive(); }

}  // namespace concur::threading
