// ProcessPoolCore's dispatch: which task goes to which worker next (see pool_core_engine.hpp).
#include "multiprocessing/pool_core_engine.hpp"

namespace concur::multiprocessing::detail {

std::pair<bool, bool> ProcessPoolCore::Impl::take_submissions() {
  std::lock_guard lock(mutex);
  while (!pending.empty()) {
    ready.push_back(std::move(pending.front()));
    pending.pop_front();
  }
  while (!new_sources.empty()) {
    sources.push_back(std::move(new_sources.front()));
    new_sources.pop_front();
  }
  return {closing, terminating};
}

std::optional<Task> ProcessPoolCore::Impl::next_task(bool closing_now, bool ahead, bool& streamed) {
  streamed = false;
  if (!resend.empty()) {
    if (ahead) return std::nullopt;  // they go first, to the next idle worker
    Task t = std::move(resend.front());
    resend.pop_front();
    return t;
  }
  for (;;) {
    std::optional<Task> t;
    if (!ready.empty()) {
      if (ahead && !ready.front().chunk) return std::nullopt;  // waits for an idle worker
      t = std::move(ready.front());
      ready.pop_front();
    } else {
      t = next_from_sources(closing_now);
      streamed = t.has_value();
    }
    if (!t || t->sink->start(t->index)) return t;  // else cancelled: dropped
  }
}

std::optional<Task> ProcessPoolCore::Impl::next_from_sources(bool closing_now) {
  for (auto it = sources.begin(); it != sources.end();) {
    bool done = false;
    auto t = (*it)->next(closing_now, done);
    if (done)
      it = sources.erase(it);
    else
      ++it;
    if (t) return t;
  }
  return std::nullopt;
}

bool ProcessPoolCore::Impl::send_to(Slot& s, Task&& t, bool ahead) {
  Task* placed;
  if (ahead) {
    placed = &s.ahead.emplace_back(std::move(t));
  } else {
    s.current = std::move(t);
    placed = &*s.current;
  }
  s.state = Slot::State::busy;
  bool sent = false;
  try {
    sent = s.link->send(placed->message);
  } catch (...) {
  }
  if (!sent) {  // the worker died: the task did not run
    resend.push_front(std::move(*placed));
    if (ahead)
      s.ahead.pop_back();
    else
      s.current.reset();
    on_death(s, true);
  }
  return sent;
}

// Chunks (a lazy source's, or a map's) stream to a worker that runs one of them, up to
// max_ahead queued behind it, so it never idles for a round trip through this thread between
// chunks (on a busy machine one wake-up of this thread costs more than many small chunks; a
// map of 100 chunks of 1000 ints took ~2 wake-ups of this thread per chunk). Only then (other
// tasks go to whichever worker is free first: no task waits behind a long one), never past
// maxtasksperchild, and only while the frames already queued hold at most one frame's worth of
// bytes in the socket (an in-socket body is at most 64 KiB, a bigger one is a memfd): then the
// queued frames fit the socket's buffer and a send never blocks this thread.
bool ProcessPoolCore::Impl::takes_ahead(const Slot& s) const {
  if (s.state != Slot::State::busy || !s.streaming || s.ahead.size() >= max_ahead) return false;
  if (config.maxtasksperchild > 0 && s.done + 2 + s.ahead.size() > config.maxtasksperchild)
    return false;
  auto in_socket = [](const Task& t) {
    return t.message.body.spilled() ? 0 : t.message.body.size();
  };
  std::size_t queued = s.current ? in_socket(*s.current) : 0;
  for (const Task& t : s.ahead) queued += in_socket(t);
  return queued <= Payload::spill_threshold;
}

void ProcessPoolCore::Impl::dispatch(bool closing_now) {
  if (broken) {
    fail_all(broken->outcome());
    return;
  }
  bool streamed = false;
  for (auto& s : slots) {
    if (s.state != Slot::State::idle || lent[index_of(s)] == lent_kept) continue;
    auto t = next_task(closing_now, false, streamed);
    if (!t) return;
    const bool chunk = t->chunk;
    if (send_to(s, std::move(*t), false)) s.streaming = streamed || chunk;
  }
  for (std::size_t depth = 0; depth < max_ahead; ++depth) {  // round robin: an even spread
    for (auto& s : slots) {
      if (s.ahead.size() != depth || !takes_ahead(s)) continue;
      auto t = next_task(closing_now, true, streamed);
      if (!t) return;
      send_to(s, std::move(*t), true);
    }
  }
}

void ProcessPoolCore::Impl::fail_all(const Outcome& proto) {
  for (auto& t : resend) finish(std::move(t), proto.failure_copy());
  resend.clear();
  for (auto& t : ready) finish(std::move(t), proto.failure_copy());
  ready.clear();
  for (auto& src : sources)
    src->break_off(proto.message.empty() ? to_string(proto.error) : proto.message);
  sources.clear();
}

bool ProcessPoolCore::Impl::any_worker() const {
  for (const auto& s : slots)
    if (s.link) return true;
  return false;
}

bool ProcessPoolCore::Impl::idle() const {
  if (!ready.empty() || !resend.empty() || !sources.empty()) return false;
  for (char l : lent)
    if (l == lent_kept) return false;  // a reader handles a task's reply
  for (const auto& s : slots)
    if (s.state == Slot::State::busy || s.state == Slot::State::starting) return false;
  return true;
}

}  // namespace concur::multiprocessing::detail
