// The pool's engine: one dispatch thread that owns the workers. It sends a task only to an
// idle worker (one that is blocked reading its channel), so a large task and a large result
// can never block each other; it learns of a worker's death by EOF on its channel (the kernel
// closes the worker's end however it dies), reaps it, fails the task it ran and starts a
// replacement. Callers only queue tasks and wait on their TaskGroup.
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "concur/multiprocessing/pool_core.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::multiprocessing::detail {

namespace {

std::string describe_exit(pid_t pid, int code) {
  std::string s = "concur::multiprocessing: worker " + std::to_string(pid) + " died ";
  if (code < 0) {
    const char* name = ::strsignal(-code);
    s += "of signal " + std::to_string(-code) + " (" + (name ? name : "?") + ")";
  } else {
    s += "with exit code " + std::to_string(code);
  }
  return s + " while running the task";
}

Outcome cancelled(const char* why) {
  Outcome o;
  o.state = Outcome::State::cancelled;
  o.message = why;
  return o;
}

}  // namespace

struct PoolCore::Impl {
  struct Slot {
    std::unique_ptr<WorkerLink> link;
    std::optional<Task> current;
    unsigned done = 0;
  };

  unsigned n;
  StartMethod method;
  unsigned maxtasks;
  int wake_fd = -1;

  mutable std::mutex mutex;  // guards the fields below
  std::deque<Task> pending;
  bool closing = false, terminating = false;
  std::vector<pid_t> pids;

  std::mutex join_mutex;
  std::thread thread;
  std::vector<Slot> slots;  // the dispatch thread's (and the constructor's) only

  void wake() {
    const std::uint64_t one = 1;
    while (::write(wake_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }

  void start_worker(Slot& s) {
    s.link = WorkerLink::start(method);
    s.done = 0;
    std::lock_guard lock(mutex);
    pids.push_back(s.link->pid());
    if (terminating) s.link->kill(SIGKILL);  // terminate() may have missed it
  }

  // Forgets the worker's pid first: terminate() kills only listed pids, and a pid cannot be
  // reused before we reap it.
  int reap(Slot& s) {
    {
      std::lock_guard lock(mutex);
      std::erase(pids, s.link->pid());
    }
    s.link->kill(SIGKILL);  // EOF may come from a worker that merely closed its channel
    return s.link->wait_exit();
  }

  void on_death(Slot& s, bool replace) {
    const pid_t pid = s.link->pid();
    const int code = reap(s);
    s.link.reset();
    // Replace first: when the caller learns of the crash, the pool is whole again.
    if (replace) try_start(s);
    if (s.current) {
      Outcome o;
      o.state = Outcome::State::crashed;
      o.exitcode = code;
      o.message = describe_exit(pid, code);
      s.current->group->complete(s.current->index, std::move(o));
      s.current.reset();
    }
  }

  // A replacement that cannot start (fork failing) leaves the slot empty; run() fails the
  // queued tasks if no worker is left.
  void try_start(Slot& s) {
    try {
      start_worker(s);
    } catch (...) {
      s.link.reset();
    }
  }

  void retire(Slot& s) {
    Message stop;
    stop.kind = Kind::stop;
    s.link->send(stop);
    {
      std::lock_guard lock(mutex);
      std::erase(pids, s.link->pid());
    }
    s.link->wait_exit();
    s.link.reset();
  }

  void on_reply(Slot& s, Message& m) {
    Outcome o;
    if (m.kind == Kind::result) {
      o.state = Outcome::State::ok;
      o.body = std::move(m.body);
      o.fds = std::move(m.fds);
    } else {
      o.state = Outcome::State::error;
      const auto nul = m.body.find('\0');
      o.type = m.body.substr(0, nul);
      if (nul != std::string::npos) o.message = m.body.substr(nul + 1);
    }
    Task t = std::move(*s.current);
    s.current.reset();
    s.done += static_cast<unsigned>(t.items);
    t.group->complete(t.index, std::move(o));
    if (maxtasks > 0 && s.done >= maxtasks) {
      retire(s);
      try_start(s);
    }
  }

  bool send_task(Slot& s, Task& t) {
    Message m;
    m.kind = Kind::task;
    m.a = t.trampoline;
    m.b = t.fn;
    m.body.swap(t.body);
    m.fds = std::move(t.fds);
    bool sent = false;
    try {
      sent = s.link->send(m);
    } catch (...) {
      sent = false;
    }
    if (!sent) {  // the worker died while idle: the task did not run; keep it
      t.body.swap(m.body);
      t.fds = std::move(m.fds);
    }
    return sent;
  }

  void run() {
    std::deque<Task> ready;
    bool clean_exit = false;
    std::vector<pollfd> fds;
    for (;;) {
      bool term, clos;
      {
        std::lock_guard lock(mutex);
        while (!pending.empty()) {
          ready.push_back(std::move(pending.front()));
          pending.pop_front();
        }
        term = terminating;
        clos = closing;
      }
      if (term) break;
      for (auto& s : slots) {
        if (ready.empty()) break;
        if (!s.link || s.current) continue;
        s.current = std::move(ready.front());
        ready.pop_front();
        if (!send_task(s, *s.current)) {
          ready.push_front(std::move(*s.current));
          s.current.reset();
          on_death(s, true);
        }
      }
      bool any_worker = false;
      for (auto& s : slots) any_worker = any_worker || s.link != nullptr;
      if (!any_worker) {
        for (auto& t : ready)
          t.group->complete(t.index,
                            cancelled("concur::multiprocessing: no worker could be started"));
        ready.clear();
      }
      bool idle = ready.empty();
      for (auto& s : slots) idle = idle && !s.current;
      if (clos && idle) {
        clean_exit = true;
        break;
      }
      fds.clear();
      fds.push_back({wake_fd, POLLIN, 0});
      for (auto& s : slots) fds.push_back({s.link ? s.link->channel() : -1, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        break;  // cannot happen with valid fds; treated as terminate below
      }
      if (fds[0].revents != 0) {
        std::uint64_t v;
        while (::read(wake_fd, &v, sizeof v) < 0 && errno == EINTR) {
        }
      }
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (fds[i + 1].revents == 0 || !slots[i].link) continue;
        Slot& s = slots[i];
        Message m;
        bool got = false;
        try {
          got = s.link->recv(m);
        } catch (...) {
          got = false;
        }
        bool replace;
        {
          std::lock_guard lock(mutex);
          replace = !terminating;
        }
        if (!got || !s.current)
          on_death(s, replace);
        else
          on_reply(s, m);
      }
    }
    // Leaving: stop the workers (gracefully after close(), by SIGKILL on terminate) and fail
    // whatever did not run.
    for (auto& s : slots) {
      if (!s.link) continue;
      if (clean_exit) {
        retire(s);
      } else {
        on_death(s, false);
      }
    }
    {
      std::lock_guard lock(mutex);
      while (!pending.empty()) {
        ready.push_back(std::move(pending.front()));
        pending.pop_front();
      }
    }
    for (auto& t : ready)
      t.group->complete(t.index, cancelled("concur::multiprocessing: the pool was terminated"));
  }
};

PoolCore::PoolCore(unsigned processes, StartMethod method, unsigned maxtasksperchild)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.n = processes == 0 ? cpu_count() : processes;
  d.method = method;
  d.maxtasks = maxtasksperchild;
  d.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (d.wake_fd < 0) throw_errno("eventfd");
  d.slots.resize(d.n);
  try {
    for (auto& s : d.slots) d.start_worker(s);
    d.thread = std::thread([&d] { d.run(); });
  } catch (...) {
    d.slots.clear();  // WorkerLink's destructor kills and reaps
    close_fd(d.wake_fd);
    throw;
  }
}

PoolCore::~PoolCore() {
  terminate();
  close_fd(impl_->wake_fd);
}

void PoolCore::submit(std::vector<Task> tasks) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->closing || impl_->terminating)
      throw std::invalid_argument("concur::multiprocessing: Pool not running");
    for (auto& t : tasks) impl_->pending.push_back(std::move(t));
  }
  impl_->wake();
}

void PoolCore::close() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->closing = true;
  }
  impl_->wake();
}

void PoolCore::terminate() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->terminating = true;
    // Unblocks the dispatch thread if it is in the middle of a large transfer.
    for (pid_t pid : impl_->pids) ::kill(pid, SIGKILL);
  }
  impl_->wake();
  std::lock_guard lock(impl_->join_mutex);
  if (impl_->thread.joinable()) impl_->thread.join();
}

void PoolCore::join() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->closing && !impl_->terminating)
      throw std::invalid_argument("concur::multiprocessing: Pool.join() before close()");
  }
  std::lock_guard lock(impl_->join_mutex);
  if (impl_->thread.joinable()) impl_->thread.join();
}

unsigned PoolCore::processes() const { return impl_->n; }
unsigned PoolCore::maxtasksperchild() const { return impl_->maxtasks; }

std::vector<pid_t> PoolCore::pids() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->pids;
}

}  // namespace concur::multiprocessing::detail
