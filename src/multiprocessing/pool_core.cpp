// ProcessPoolCore's public members: starting the engine, queuing work, closing and
// terminating. The engine itself is described in pool_core_engine.hpp.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cstdint>
#include <stdexcept>

#include "multiprocessing/pool_core_engine.hpp"
#include "multiprocessing/registry.hpp"

namespace concur::multiprocessing::detail {

ProcessPoolCore::ProcessPoolCore(ProcessPoolConfig config) : impl_(std::make_shared<Impl>()) {
  Impl& d = *impl_;
  d.config = std::move(config);
  if (d.config.processes == 0) d.config.processes = cpu_count();
  d.self = impl_;
  d.waker = std::make_shared<PoolWaker>();
  d.waker->fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!d.waker->fd) throw_errno("concur::multiprocessing: eventfd");
  d.epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!d.epoll) throw_errno("concur::multiprocessing: epoll_create1");
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = UINT64_MAX;  // not a slot: the waker
  if (::epoll_ctl(d.epoll.get(), EPOLL_CTL_ADD, d.waker->fd.get(), &e) != 0)
    throw_errno("concur::multiprocessing: epoll_ctl");
  d.slots.resize(d.config.processes);
  d.doors.resize(d.config.processes);
  d.lent.resize(d.config.processes, 0);
  try {
    auto links = WorkerLink::start_many(d.config.method, d.slots.size());  // in parallel
    for (std::size_t i = 0; i < d.slots.size(); ++i)
      d.start_worker(d.slots[i], std::move(links[i]));
    // The first task may go straight to a ready worker (the direct path) even before the
    // dispatch thread first runs: a new thread can wait a scheduler slice for a core, longer
    // than a task's round trip, while spawned workers still start on every core.
    d.open_doors();
    d.thread = std::thread([&d] {
      children_die_with_this_thread();  // the workers it replaces end with the pool
      d.run();
    });
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
    if (tasks.size() == 1 && impl_->send_direct_locked(tasks[0])) return;
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
  if (!impl_->is_broken.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard lock(impl_->mutex);
  return impl_->broken_reason;
}

std::vector<pid_t> ProcessPoolCore::pids() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->pids;
}

}  // namespace concur::multiprocessing::detail
