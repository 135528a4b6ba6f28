// ProcessPoolCore's loop: waiting for wake-ups, replies and deaths, and handling them (see
// pool_core_engine.hpp).
#include <poll.h>
#include <sys/epoll.h>

#include <exception>
#include <string>
#include <typeinfo>

#include "multiprocessing/pool_core_engine.hpp"

namespace concur::multiprocessing::detail {

std::vector<std::size_t> ProcessPoolCore::Impl::wait_for_events(int timeout_ms) {
  epoll_event events[16];
  std::vector<std::size_t> readable;
  const int n = ::epoll_wait(epoll.get(), events, 16, timeout_ms);
  for (int i = 0; i < n; ++i) {  // n < 0 (EINTR): loop again
    const std::uint64_t k = events[i].data.u64;
    if (k >= slots.size())
      waker->drain();
    else if (slots[k].link)
      readable.push_back(static_cast<std::size_t>(k));
  }
  return readable;
}

void ProcessPoolCore::Impl::on_reply(Slot& s, Message& m) {
  if (s.state == Slot::State::starting) {  // the initializer's answer
    if (m.kind == Kind::result) {
      s.state = Slot::State::idle;
      return;
    }
    set_broken(PoolFailure{Outcome::State::error, decode_error(m), {}, 0});
    retire(s);
    return;
  }
  Outcome o = outcome_of(m);
  Task t = std::move(*s.current);
  s.current.reset();
  if (!s.ahead.empty()) {  // the worker is already reading it
    s.current = std::move(s.ahead.front());
    s.ahead.pop_front();
  }
  s.state = s.current ? Slot::State::busy : Slot::State::idle;
  ++s.done;
  finish(std::move(t), std::move(o));
  if (config.maxtasksperchild > 0 && s.done >= config.maxtasksperchild) {
    retire(s);
    try_start(s);
  }
}

Outcome ProcessPoolCore::Impl::outcome_of(Message& m) {
  Outcome o;
  o.count = m.count;
  if (m.kind == Kind::result) {
    o.state = Outcome::State::ok;
    o.body = std::move(m.body);
    o.fds = std::move(m.fds);
  } else {
    o.state = Outcome::State::error;
    o.error = decode_error(m);
  }
  return o;
}

WireError ProcessPoolCore::Impl::decode_error(const Message& m) {
  try {
    Reader reader(m.body.view(), m.fds);
    return reader.read<WireError>();
  } catch (const std::exception& e) {
    WireError w;
    w.type = "concur::multiprocessing::ProcessError";
    w.mangled = typeid(ProcessError).name();
    w.message = std::string("concur::multiprocessing: malformed error reply: ") + e.what();
    return w;
  }
}

void ProcessPoolCore::Impl::handle_readable(const std::vector<std::size_t>& readable) {
  for (std::size_t i : readable) {
    Slot& s = slots[i];
    if (!s.link || lent[i] != lent_free) continue;  // a reader has it, or handled already
    // Every reply already there (a streaming worker queues several), then back to the loop.
    for (const WorkerLink* link = s.link.get(); s.link.get() == link;) {
      // The event may be stale: a reader took the reply (and the worker may run a new task).
      pollfd p{s.link->channel(), POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) break;
      // A spawned worker's handshake comes first (start_many() did not wait for it).
      if (s.link->handshake_pending()) {
        if (!greet(s)) break;
        if (::poll(&p, 1, 0) <= 0) break;
      }
      Message m;
      bool got = false;
      try {
        got = s.link->recv(m);  // a malformed frame counts as the worker's death
      } catch (...) {
      }
      const bool expected = got && (m.kind == Kind::result || m.kind == Kind::error) &&
                            (s.state == Slot::State::busy || s.state == Slot::State::starting);
      if (expected) {
        on_reply(s, m);
      } else {
        bool replace;
        {
          std::lock_guard lock(mutex);
          replace = !terminating;
        }
        on_death(s, replace);
      }
    }
  }
}

void ProcessPoolCore::Impl::shutdown(bool clean) {
  // A reader still on a worker's channel finishes first (terminate() killed the worker, so it
  // sees EOF at once); it wakes this thread when it hands the door back.
  while (close_doors()) {
    pollfd p{waker->fd.get(), POLLIN, 0};
    if (::poll(&p, 1, -1) > 0) waker->drain();
  }
  stopping = true;
  for (auto& s : slots) {
    if (!s.link) continue;
    // A spawned worker whose handshake is unread ran nothing of ours: it is not waited for
    // (it may never reach its loop), it is killed.
    if (clean && !s.link->handshake_pending())
      retire(s);
    else
      on_death(s, false);
  }
  take_submissions();
  fail_all(Outcome::cancelled("concur::multiprocessing: the pool was terminated"));
}

void ProcessPoolCore::Impl::run() {
  bool clean = false;
  // The constructor opened the doors of its ready workers: this thread starts where
  // open_doors() leaves it, waiting. (Taking the doors back first could turn the caller's first
  // task away from the direct path, onto a hop through this thread.)
  bool doors_open = true;
  for (;;) {
    const int wait_ms = expire_handshakes();  // before dispatch(): their tasks go elsewhere
    if (!doors_open) {
      const auto [closing_now, terminating_now] = take_submissions();
      if (terminating_now) break;
      dispatch(closing_now);
      if (!any_worker() && !broken)
        fail_all(Outcome::cancelled(no_worker_reason.empty()
                                        ? "concur::multiprocessing: no worker could be started"
                                        : "concur::multiprocessing: no worker could be started: " +
                                              no_worker_reason));
      if (closing_now && idle()) {
        clean = true;
        break;
      }
      open_doors();
    }
    doors_open = false;
    const auto readable = wait_for_events(wait_ms);
    close_doors();
    handle_readable(readable);
  }
  shutdown(clean);
}

}  // namespace concur::multiprocessing::detail
