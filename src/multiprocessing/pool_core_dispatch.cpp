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

std::optional<Task> ProcessPoolCore::Impl::next_task(bool closing_now, bool sources_only,
                                                     bool& streamed) {
  streamed = false;
  if (!sources_only && !resend.empty()) {
    Task t = std::move(resend.front());
    resend.pop_front();
    return t;
  }
  for (;;) {
    std::optional<Task> t;
    if (!sources_only && !ready.empty()) {
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
  std::optional<Task>& place = ahead ? s.ahead : s.current;
  place = std::move(t);
  s.state = Slot::State::busy;
  bool sent = false;
  try {
    sent = s.link->send(place->message);
  } catch (...) {
  }
  if (!sent) {  // the worker died: the task did not run
    resend.push_front(std::move(*place));
    place.reset();
    on_death(s, true);
  }
  return sent;
}

// A lazy source's chunks stream to a worker that runs one of them, so it never idles for a
// round trip through this thread between chunks. Only then (other tasks go to whichever worker
// is free first: no task waits behind a long one), and never past maxtasksperchild.
bool ProcessPoolCore::Impl::takes_ahead(const Slot& s) const {
  return s.state == Slot::State::busy && s.streaming && !s.ahead &&
         (config.maxtasksperchild == 0 || s.done + 2 <= config.maxtasksperchild);
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
    if (send_to(s, std::move(*t), false)) s.streaming = streamed;
  }
  if (!ready.empty() || !resend.empty()) return;
  for (auto& s : slots) {
    if (!takes_ahead(s)) continue;
    auto t = next_task(closing_now, true, streamed);
    if (!t) return;
    send_to(s, std::move(*t), true);
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
