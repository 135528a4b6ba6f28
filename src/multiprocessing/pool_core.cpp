// The pool's engine: one dispatch thread that owns the workers. It sends a task only to an
// idle worker (one that is blocked reading its channel), so a large task and a large result
// can never block each other; it learns of a worker's death by EOF on its channel (the kernel
// closes the worker's end however it dies), reaps it, fails the task it ran and starts a
// replacement. Callers only queue tasks (or lazy sources) and wait on their sinks.
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "concur/multiprocessing/detail/pool_core.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::multiprocessing::detail {

namespace {

std::string describe_exit(pid_t pid, int code, const char* when) {
  std::string s = "concur::multiprocessing: worker " + std::to_string(pid) + " died ";
  if (code < 0) {
    const char* name = ::strsignal(-code);
    s += "of signal " + std::to_string(-code) + " (" + (name ? name : "?") + ")";
  } else {
    s += "with exit code " + std::to_string(code);
  }
  return s + when;
}

// Why the pool is broken (its initializer failed): every task not started fails with it.
struct Failure {
  Outcome::State state;
  WireError error;
  std::string message;
  int exitcode = 0;
  Outcome outcome() const {
    Outcome o;
    o.state = state;
    o.error = error;
    o.message = message;
    o.exitcode = exitcode;
    o.pool_broken = true;
    return o;
  }
  std::string describe() const { return message.empty() ? to_string(error) : message; }
};

// Python's names for pool workers.
std::string worker_name_for(StartMethod m) {
  static std::atomic<unsigned> counter{0};
  const char* kind = m == StartMethod::forkserver ? "ForkServerPoolWorker-"
                     : m == StartMethod::spawn    ? "SpawnPoolWorker-"
                                                  : "ForkPoolWorker-";
  return kind + std::to_string(++counter);
}

// The dispatch thread's wake-up: an eventfd that outlives the pool while streams hold it.
struct Waker {
  concur::detail::UniqueFd fd;
  void wake() const {
    const std::uint64_t one = 1;
    while (::write(fd.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
  void drain() const {
    std::uint64_t v;
    while (::read(fd.get(), &v, sizeof v) < 0 && errno == EINTR) {
    }
  }
};

}  // namespace

struct ProcessPoolCore::Impl {
  struct Slot {
    enum class State { empty, starting, idle, busy };
    State state = State::empty;
    std::unique_ptr<WorkerLink> link;
    std::optional<Task> current;  // the task the worker runs
    std::optional<Task> ahead;    // a lazy source's next chunk, queued behind `current`
    bool streaming = false;       // `current` came from a lazy source
    unsigned done = 0;            // tasks (chunks) run, for maxtasksperchild
  };

  ProcessPoolConfig config;
  std::shared_ptr<Waker> waker;

  mutable std::mutex mutex;  // guards the fields below
  std::deque<Task> pending;
  std::deque<std::shared_ptr<TaskSource>> new_sources;
  bool closing = false, terminating = false;
  std::vector<pid_t> pids;
  std::optional<std::string> broken_reason;  // mirrors `broken` for other threads

  std::mutex join_mutex;
  std::thread thread;

  // The dispatch thread's (and the constructor's) only:
  std::vector<Slot> slots;
  std::deque<Task> ready;
  std::deque<Task> resend;  // sent to a worker that died before running them (already started)
  std::deque<std::shared_ptr<TaskSource>> sources;
  std::optional<Failure> broken;

  // ---- workers ----

  std::string worker_name() const { return worker_name_for(config.method); }

  // Starts a worker in `s`: `link` when given (started beforehand), else a new one.
  void start_worker(Slot& s, std::unique_ptr<WorkerLink> link = nullptr) {
    s.link = link ? std::move(link) : WorkerLink::start(config.method);
    s.done = 0;
    s.state = Slot::State::idle;
    {
      std::lock_guard lock(mutex);
      pids.push_back(s.link->pid());
      if (terminating) s.link->kill(SIGKILL);  // terminate() may have missed it
    }
    Message who = identity_message(worker_name(), false);
    s.link->send(who);  // a worker that died at once shows as EOF in the loop
    if (config.initializer) {
      s.state = Slot::State::starting;
      if (!s.link->send(*config.initializer.message())) on_death(s, false);
    }
  }

  // A replacement that cannot start (fork failing) leaves the slot empty; the loop fails the
  // queued tasks if no worker is left.
  void try_start(Slot& s) {
    try {
      start_worker(s);
    } catch (...) {
      s.link.reset();
      s.state = Slot::State::empty;
    }
  }

  void forget_pid(Slot& s) {
    std::lock_guard lock(mutex);
    std::erase(pids, s.link->pid());
  }

  // Forgets the worker's pid first: terminate() kills only listed pids, and a pid cannot be
  // reused before we reap it.
  int reap(Slot& s) {
    forget_pid(s);
    s.link->kill(SIGKILL);  // EOF may come from a worker that merely closed its channel
    return s.link->wait_exit();
  }

  void on_death(Slot& s, bool replace) {
    const pid_t pid = s.link->pid();
    const bool was_starting = s.state == Slot::State::starting;
    const int code = reap(s);
    s.link.reset();
    s.state = Slot::State::empty;
    if (was_starting)
      set_broken(Failure{
          Outcome::State::crashed, {}, describe_exit(pid, code, " in its initializer"), code});
    // Replace first: when the caller learns of the crash, the pool is whole again.
    if (replace && !broken) try_start(s);
    if (s.ahead) {  // never reached the worker's loop: it runs elsewhere
      resend.push_front(std::move(*s.ahead));
      s.ahead.reset();
    }
    if (s.current) {
      Outcome o;
      o.state = Outcome::State::crashed;
      o.exitcode = code;
      o.message = describe_exit(pid, code, " while running the task");
      finish(std::move(*s.current), std::move(o));
      s.current.reset();
    }
  }

  void retire(Slot& s) {
    Message stop;
    stop.kind = Kind::stop;
    try {
      s.link->send(stop);
    } catch (...) {  // already gone: reaped below all the same
    }
    forget_pid(s);
    s.link->wait_exit();
    s.link.reset();
    s.state = Slot::State::empty;
  }

  // The first initializer failure breaks the pool for good.
  void set_broken(Failure f) {
    if (broken) return;
    broken = std::move(f);
    std::lock_guard lock(mutex);
    broken_reason = broken->describe();
  }

  static void finish(Task&& t, Outcome&& o) { t.sink->complete(t.index, std::move(o)); }

  // ---- the loop's steps ----

  // Moves what callers queued into the dispatch thread's own lists; returns {closing,
  // terminating}.
  std::pair<bool, bool> take_submissions() {
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

  // The next task for a worker: one to send again, a queued one, else a lazy source's next
  // chunk (`streamed`); with `sources_only`, only the latter. Cancelled tasks are dropped.
  std::optional<Task> next_task(bool closing_now, bool sources_only, bool& streamed) {
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

  std::optional<Task> next_from_sources(bool closing_now) {
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

  // Sends `t` to the worker in `s` (as its current task, or ahead of it). false if the
  // worker is gone: then the task is kept to be sent again and the worker replaced.
  bool send_to(Slot& s, Task&& t, bool ahead) {
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

  // Whether a busy worker may get a second task now: a lazy source's chunks stream to a
  // worker that runs one of them, so it never idles for a round trip through this thread
  // between chunks. Only then (other tasks go to whichever worker is free first: no task
  // waits behind a long one), and never past maxtasksperchild.
  bool takes_ahead(const Slot& s) const {
    return s.state == Slot::State::busy && s.streaming && !s.ahead &&
           (config.maxtasksperchild == 0 || s.done + 2 <= config.maxtasksperchild);
  }

  void dispatch(bool closing_now) {
    if (broken) {
      fail_all(broken->outcome());
      return;
    }
    bool streamed = false;
    for (auto& s : slots) {
      if (s.state != Slot::State::idle) continue;
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

  // Fails every task not started (and every source's future ones) with `o`'s failure.
  void fail_all(const Outcome& proto) {
    auto copy = [&] {
      Outcome o;
      o.state = proto.state;
      o.error = proto.error;
      o.message = proto.message;
      o.exitcode = proto.exitcode;
      o.pool_broken = proto.pool_broken;
      return o;
    };
    for (auto& t : resend) finish(std::move(t), copy());
    resend.clear();
    for (auto& t : ready) finish(std::move(t), copy());
    ready.clear();
    for (auto& src : sources)
      src->break_off(proto.message.empty() ? to_string(proto.error) : proto.message);
    sources.clear();
  }

  bool any_worker() const {
    for (const auto& s : slots)
      if (s.link) return true;
    return false;
  }

  bool idle() const {
    if (!ready.empty() || !resend.empty() || !sources.empty()) return false;
    for (const auto& s : slots)
      if (s.state == Slot::State::busy || s.state == Slot::State::starting) return false;
    return true;
  }

  // Blocks until a wake-up or a worker's channel is readable; returns the readable slots.
  std::vector<std::size_t> wait_for_events(std::vector<pollfd>& fds) {
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

  void on_reply(Slot& s, Message& m) {
    if (s.state == Slot::State::starting) {  // the initializer's answer
      if (m.kind == Kind::result) {
        s.state = Slot::State::idle;
        return;
      }
      set_broken(Failure{Outcome::State::error, decode_error(m), {}, 0});
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

  // A worker's error reply; bytes that do not decode become a ProcessError.
  static WireError decode_error(const Message& m) {
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

  void handle_readable(const std::vector<std::size_t>& readable) {
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

  // Leaving: stop the workers (gracefully after close(), by SIGKILL on terminate) and fail
  // whatever did not run.
  void shutdown(bool clean) {
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

  void run() {
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
};

ProcessPoolCore::ProcessPoolCore(ProcessPoolConfig config) : impl_(std::make_shared<Impl>()) {
  Impl& d = *impl_;
  d.config = std::move(config);
  if (d.config.processes == 0) d.config.processes = cpu_count();
  d.waker = std::make_shared<Waker>();
  d.waker->fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!d.waker->fd) throw_errno("concur::multiprocessing: eventfd");
  d.slots.resize(d.config.processes);
  try {
    auto links = WorkerLink::start_many(d.config.method, d.slots.size());  // in parallel
    for (std::size_t i = 0; i < d.slots.size(); ++i)
      d.start_worker(d.slots[i], std::move(links[i]));
    d.thread = std::thread([&d] { d.run(); });
  } catch (...) {
    d.slots.clear();  // WorkerLink's destructor kills and reaps
    throw;
  }
}

ProcessPoolCore::~ProcessPoolCore() { terminate(); }

void ProcessPoolCore::submit(std::vector<Task> tasks) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->closing || impl_->terminating)
      throw std::invalid_argument("concur::multiprocessing: Pool not running");
    for (auto& t : tasks) impl_->pending.push_back(std::move(t));
  }
  impl_->waker->wake();
}

void ProcessPoolCore::submit(std::shared_ptr<TaskSource> source) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->closing || impl_->terminating)
      throw std::invalid_argument("concur::multiprocessing: Pool not running");
    impl_->new_sources.push_back(std::move(source));
  }
  impl_->waker->wake();
}

std::function<void()> ProcessPoolCore::waker() const {
  return [w = impl_->waker] { w->wake(); };
}

void ProcessPoolCore::close() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->closing = true;
  }
  impl_->waker->wake();
}

void ProcessPoolCore::terminate() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->terminating = true;
    // Unblocks the dispatch thread if it is in the middle of a large transfer.
    for (pid_t pid : impl_->pids) ::kill(pid, SIGKILL);
  }
  impl_->waker->wake();
  std::lock_guard lock(impl_->join_mutex);
  if (impl_->thread.joinable()) impl_->thread.join();
}

void ProcessPoolCore::join() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->closing && !impl_->terminating)
      throw std::invalid_argument("concur::multiprocessing: Pool.join() before close()");
  }
  std::lock_guard lock(impl_->join_mutex);
  if (impl_->thread.joinable()) impl_->thread.join();
}

unsigned ProcessPoolCore::processes() const { return impl_->config.processes; }

std::optional<std::string> ProcessPoolCore::broken() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->broken_reason;
}

std::vector<pid_t> ProcessPoolCore::pids() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->pids;
}

}  // namespace concur::multiprocessing::detail
