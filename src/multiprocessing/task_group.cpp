// Where task outcomes wait for their callers: TaskGroup (a fixed set: map, apply_async) and
// TaskStream (imap's chunks, made lazily within a window ahead of the consumer).
#include <cstdio>
#include <utility>

#include "concur/detail/core/deadline.hpp"
#include "concur/errors.hpp"
#include "concur/multiprocessing/detail/pool_core.hpp"

namespace concur::multiprocessing::detail {

void Outcome::throw_if_failed() const {
  switch (state) {
    case State::ok:
      return;
    case State::error:
      rethrow(error);
    case State::crashed:
      throw WorkerCrashed(message, exitcode);
    case State::local:
      std::rethrow_exception(local);
    default:
      throw ProcessError(message.empty() ? "concur::multiprocessing: task cancelled" : message);
  }
}

Outcome Outcome::cancelled(std::string why) {
  Outcome o;
  o.state = State::cancelled;
  o.message = std::move(why);
  return o;
}

Outcome Outcome::failure_copy() const {
  Outcome o;
  o.state = state;
  o.error = error;
  o.message = message;
  o.exitcode = exitcode;
  o.local = local;
  o.pool_broken = pool_broken;
  return o;
}

void TaskGroup::complete(std::size_t index, Outcome&& o) {
  std::vector<std::function<void()>> hooks;
  bool all = false;
  {
    std::lock_guard lock(mutex_);
    if (outcomes_[index].state != Outcome::State::pending) return;
    outcomes_[index] = std::move(o);
    all = ++done_ == outcomes_.size();
    if (all) hooks.swap(hooks_);
  }
  // Only wait_all() sleeps on cv_, for the last outcome: waking it for every chunk of a map
  // cost the caller's thread a wake-up (and the dispatch thread a futex call) per chunk.
  if (!all) return;
  cv_.notify_all();
  for (auto& h : hooks) {
    try {
      h();
    } catch (const std::exception& e) {  // a callback must not take the pool's thread down
      std::fprintf(stderr, "concur::multiprocessing: a result callback threw: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "concur::multiprocessing: a result callback threw\n");
    }
  }
}

void TaskGroup::sent_direct(std::weak_ptr<ReplyReader> reader, std::size_t door) noexcept {
  std::lock_guard lock(mutex_);
  reader_ = std::move(reader);
  door_ = door;
}

bool TaskGroup::wait_all(std::optional<Duration> timeout) {
  concur::detail::check_timeout(timeout);
  const auto deadline = concur::detail::Deadline::after(timeout);
  std::weak_ptr<ReplyReader> reader;
  std::size_t door = 0;
  {
    std::lock_guard lock(mutex_);
    if (done_ == outcomes_.size()) return true;
    reader = reader_;
    door = door_;
  }
  // Returns at once unless the reply is this thread's to read (then it completes the task).
  if (auto r = reader.lock()) r->read_reply(door, this, deadline);
  std::unique_lock lock(mutex_);
  auto all = [this] { return done_ == outcomes_.size(); };
  if (deadline.is_never()) {
    cv_.wait(lock, all);
    return true;
  }
  return cv_.wait_until(lock, deadline.time_point(), all);
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
  o->throw_if_failed();
  return *o;
}

void TaskGroup::throw_if_failed() const {
  for (std::size_t i = 0; i < outcomes_.size(); ++i) outcome(i);
}

void TaskGroup::on_ready(std::function<void()> hook) {
  {
    std::lock_guard lock(mutex_);
    if (done_ != outcomes_.size()) {
      hooks_.push_back(std::move(hook));
      return;
    }
  }
  hook();
}

void TaskStream::complete(std::size_t index, Outcome&& o) {
  {
    std::lock_guard lock(mutex_);
    if (abandoned_ || done_.count(index) != 0 || index < next_ordered_) return;
    done_.emplace(index, std::move(o));
    order_.push_back(index);
  }
  cv_.notify_all();
}

bool TaskStream::may_produce(bool closing) {
  std::lock_guard lock(mutex_);
  if (abandoned_ || total_) return false;
  if (closing || produced_ < taken_ + window_) return true;
  starved_ = true;  // the next take() wakes the producer
  return false;
}

bool TaskStream::abandoned() const {
  std::lock_guard lock(mutex_);
  return abandoned_;
}

std::size_t TaskStream::produced() const {
  std::lock_guard lock(mutex_);
  return produced_;
}

void TaskStream::produced_one() {
  std::lock_guard lock(mutex_);
  ++produced_;
}

void TaskStream::set_total(std::size_t total) {
  {
    std::lock_guard lock(mutex_);
    total_ = total;
  }
  cv_.notify_all();
}

void TaskStream::break_off(std::string why) {
  {
    std::lock_guard lock(mutex_);
    if (!total_) broken_ = std::move(why);
  }
  cv_.notify_all();
}

std::optional<Outcome> TaskStream::take(bool ordered, std::optional<Duration> timeout) {
  concur::detail::check_timeout(timeout);
  const auto deadline = concur::detail::Deadline::after(timeout);
  std::unique_lock lock(mutex_);
  std::optional<std::size_t> pick;
  auto settled = [&] {
    if (ordered) {
      if (done_.count(next_ordered_) != 0) {
        pick = next_ordered_;
        return true;
      }
      return (total_ && next_ordered_ >= *total_) || broken_.has_value();
    }
    while (!order_.empty()) {
      const std::size_t i = order_.front();
      order_.pop_front();
      if (done_.count(i) != 0) {
        pick = i;
        return true;
      }
    }
    return (total_ && taken_ >= *total_) || broken_.has_value();
  };
  if (deadline.is_never())
    cv_.wait(lock, settled);
  else if (!cv_.wait_until(lock, deadline.time_point(), settled))
    throw concur::TimeoutError("concur::multiprocessing: imap next() timed out");
  if (!pick) {
    if (broken_ && !(total_ && (ordered ? next_ordered_ : taken_) >= *total_))
      throw ProcessError(*broken_);
    return std::nullopt;
  }
  auto node = done_.extract(*pick);
  if (ordered) ++next_ordered_;
  ++taken_;
  const bool starved = std::exchange(starved_, false);
  lock.unlock();
  if (starved) wake_();  // room in the window, and the producer waits for it
  return std::move(node.mapped());
}

void TaskStream::abandon() {
  {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    done_.clear();
    order_.clear();
  }
  wake_();
}

}  // namespace concur::multiprocessing::detail
