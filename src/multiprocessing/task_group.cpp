#include <csignal>
#include <cstring>

#include "concur/multiprocessing/pool_core.hpp"

namespace concur::multiprocessing::detail {

void TaskGroup::complete(std::size_t index, Outcome&& o) {
  {
    std::lock_guard lock(mutex_);
    if (outcomes_[index].state != Outcome::State::pending) return;
    outcomes_[index] = std::move(o);
    ++done_;
    order_.push_back(index);
  }
  cv_.notify_all();
}

bool TaskGroup::wait_all(std::optional<Duration> timeout) {
  std::unique_lock lock(mutex_);
  auto all = [this] { return done_ == outcomes_.size(); };
  if (!timeout) {
    cv_.wait(lock, all);
    return true;
  }
  return cv_.wait_for(lock, *timeout, all);
}

void TaskGroup::wait_one(std::size_t index) {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return outcomes_[index].state != Outcome::State::pending; });
}

std::optional<std::size_t> TaskGroup::next_completed() {
  std::unique_lock lock(mutex_);
  if (handed_ == outcomes_.size()) return std::nullopt;
  cv_.wait(lock, [&] { return order_.size() > handed_; });
  return order_[handed_++];
}

bool TaskGroup::ready() const {
  std::lock_guard lock(mutex_);
  return done_ == outcomes_.size();
}

bool TaskGroup::successful() const {
  std::lock_guard lock(mutex_);
  if (done_ != outcomes_.size()) return false;
  for (const auto& o : outcomes_)
    if (o.state != Outcome::State::ok) return false;
  return true;
}

const Outcome& TaskGroup::outcome(std::size_t index) const {
  const Outcome* o;
  {
    std::lock_guard lock(mutex_);
    o = &outcomes_[index];
  }
  switch (o->state) {
    case Outcome::State::ok:
      return *o;
    case Outcome::State::error:
      throw RemoteError(o->type, o->message);
    case Outcome::State::crashed:
      throw WorkerCrashed(o->message, o->exitcode);
    default:
      throw ProcessError(o->message.empty() ? "concur::multiprocessing: task cancelled"
                                            : o->message);
  }
}

void TaskGroup::throw_if_failed() const {
  for (std::size_t i = 0; i < outcomes_.size(); ++i) outcome(i);
}

}  // namespace concur::multiprocessing::detail
