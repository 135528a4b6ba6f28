// concur::threading::Timer: a Thread that waits on the cancel Event until its deadline (no
// sleep-polling, so cancel() is immediate). Event itself is inline (event.hpp).
#include <stdexcept>

#include "concur/threading/event.hpp"

namespace concur::threading {

Timer::Timer(Duration interval, std::unique_ptr<concur::detail::Target> function)
    : interval_(interval), function_(std::move(function)), thread_([this] {
        if (cancelled_.wait(deadline_.remaining())) return;
        function_->run();
      }) {}

Timer::~Timer() = default;  // thread_'s destructor waits for a started timer

void Timer::start() {
  // deadline_ is written before the thread starts: std::thread's creation orders it.
  if (started_.exchange(true)) throw std::logic_error("threads can only be started once");
  deadline_ = concur::detail::Deadline::after(interval_);
  thread_.start();
}

void Timer::cancel() { cancelled_.set(); }
void Timer::join() { thread_.join(); }
bool Timer::join_for(Duration timeout) { return thread_.join_for(timeout); }
bool Timer::is_alive() const { return thread_.is_alive(); }

}  // namespace concur::threading
