// ProcessPoolCore's loop: waiting for wake-ups, replies and deaths, and handling them (see
// pool_core_engine.hpp).
#include <poll.h>

#include <exception>
#include <string>
#include <typeinfo>

#include "multiprocessing/pool_core_engine.hpp"

namespace concur::multiprocessing::detail {

std::vector<std::size_t> ProcessPoolCore::Impl::wait_for_events(std::vector<pollfd>& fds) {
  fds.clear();
  fds.push_back({waker->fd.get(), POLLIN, 0});
  for (auto& s : slots) fds.push_back({s.link ? s.link->channel() : -1, POLLIN, 0});
  std::vector<std::size_t> readable;
  if (::poll(fds.data(), fds.size(), -1) < 0) return readable;  // EINTR: loop again
  if (fds[0].revents != 0) waker->drain();
  for (std::size_t i = 0; i < slots.size(); ++i)
    if (fds[i + 1].revents != 0 && slots[i].link) readable.push_back(i);
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
  Task t = std::move(*s.current);
  s.current = std::move(s.ahead);  // the worker is already reading it
  s.ahead.reset();
  s.state = s.current ? Slot::State::busy : Slot::State::idle;
  ++s.done;
  finish(std::move(t), std::move(o));
  if (config.maxtasksperchild > 0 && s.done >= config.maxtasksperchild) {
    retire(s);
    try_start(s);
  }
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
    if (!s.link) continue;
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

void ProcessPoolCore::Impl::shutdown(bool clean) {
  for (auto& s : slots) {
    if (!s.link) continue;
    if (clean)
      retire(s);
    else
      on_death(s, false);
  }
  take_submissions();
  fail_all(Outcome::cancelled("concur::multiprocessing: the pool was terminated"));
}

void ProcessPoolCore::Impl::run() {
  bool clean = false;
  std::vector<pollfd> fds;
  for (;;) {
    const auto [closing_now, terminating_now] = take_submissions();
    if (terminating_now) break;
    dispatch(closing_now);
    if (!any_worker() && !broken)
      fail_all(Outcome::cancelled("concur::multiprocessing: no worker could be started"));
    if (closing_now && idle()) {
      clean = true;
      break;
    }
    handle_readable(wait_for_events(fds));
  }
  shutdown(clean);
}

}  // namespace concur::multiprocessing::detail
