// concur/futures/process_pool.hpp — Python's concurrent.futures.ProcessPoolExecutor, on the
// worker processes of concur::multiprocessing's pool (one engine, not a second process pool).
//
//   concur::futures::ProcessPoolExecutor pool(2);
//   auto f = pool.submit(+[](int x) { return x * x; }, 7);            // Future<int>
//   f.result();                                                       // 49
//   auto doubled = pool.map(+[](int x) { return 2 * x; }, items, 1000);   // ordered, chunks of
//   1000
//
// F is a function pointer or a capture-less lambda (code both processes share); arguments and
// results travel serialized as for multiprocessing::Pool (handles such as SharedArray travel as
// fds).
// - submit(f, args...) returns a Future that completes when the result comes back: with the
//   task's exception rebuilt as its own type where possible (std::out_of_range is caught as
//   std::out_of_range; else multiprocessing::RemoteError), or multiprocessing::WorkerCrashed if
//   the worker process died running it — then only that future fails, the worker is replaced
//   and every other task goes on (*beyond*: Python breaks the whole pool). Callbacks run on the
//   pool's dispatch thread, as Python's run on its management thread, or on a thread waiting
//   in result() that read the worker's reply itself (a task sent while a worker was idle goes
//   straight to it, and its waiter takes the reply: one round trip, no thread in between).
//   Keep them short.
// - A future is running from the moment a worker takes its task (the pool sends a task only to
//   an idle worker), as Python's are once they enter the call queue: cancel() succeeds only
//   before that, and a cancelled task never runs.
// - map(f, items, chunksize) is multiprocessing::Pool::map: items travel in chunks (0: about 4
//   chunks per worker), results come back in order, the first failing chunk's exception is
//   rethrown.
// - shutdown(wait, cancel_futures): no new work (submit/map then throw std::logic_error);
//   cancel_futures=true cancels every future not finished yet; wait=true waits for the workers
//   to finish what was sent and exit. The destructor is shutdown(true).
// - ProcessPoolOptions: mp_context (start method; default: the current default), initializer
//   (a multiprocessing::Initializer, run once in every worker, replacements included; if it
//   throws or kills its worker, the pool is broken as Python's is: every task not finished
//   fails with BrokenProcessPool (its message carries the initializer's error), and submit()
//   and map() throw BrokenProcessPool), max_tasks_per_child (a worker is replaced after that
//   many tasks; 0: never).
// Throws: std::system_error if the workers cannot start.
// Thread safety: every member may be called from any thread (the destructor excepted).
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/futures/errors.hpp"
#include "concur/futures/future.hpp"
#include "concur/multiprocessing/pool.hpp"

namespace concur::futures {

/// How a ProcessPoolExecutor starts and recycles its workers.
struct ProcessPoolOptions {
  /// How workers start; by default the one set by multiprocessing::set_start_method().
  multiprocessing::StartMethod mp_context = multiprocessing::get_start_method();
  /// Runs once in every worker before its first task.
  multiprocessing::Initializer initializer{};
  /// Replace a worker after this many tasks; 0: never.
  unsigned max_tasks_per_child = 0;
};

namespace detail {

/// The futures of one ProcessPoolExecutor not finished yet (for shutdown(cancel_futures)): an
/// intrusive list of entries that live in the futures' sinks, so that tracking a future
/// allocates nothing (a hash set's node was a malloc and a free per submit).
class ProcessRegistry {
 public:
  struct Entry {
    StateBase* state = nullptr;
    Entry* prev = nullptr;  // null while not in the list
    Entry* next = nullptr;
  };
  ProcessRegistry() noexcept { head_.prev = head_.next = &head_; }
  ProcessRegistry(const ProcessRegistry&) = delete;
  ProcessRegistry& operator=(const ProcessRegistry&) = delete;

  void add(Entry& e) {
    std::lock_guard lk(m_);
    e.prev = &head_;
    e.next = head_.next;
    head_.next->prev = &e;
    head_.next = &e;
  }
  /// Takes `e` out of the list if it is in it.
  void remove(Entry& e) {
    std::lock_guard lk(m_);
    if (e.prev == nullptr) return;
    e.prev->next = e.next;
    e.next->prev = e.prev;
    e.prev = e.next = nullptr;
  }
  /// Cancels every registered future that is still pending (outside the lock: cancelling runs
  /// callbacks, which may submit more work).
  void cancel_all() {
    std::vector<StateBase*> held;
    {
      std::lock_guard lk(m_);
      for (Entry* e = head_.next; e != &head_; e = e->next) {
        e->state->add_ref();
        held.push_back(e->state);
      }
    }
    for (StateBase* s : held) {
      s->cancel();
      s->release();
    }
  }

 private:
  std::mutex m_;
  Entry head_;  // of a circular list; guarded by m_
};

template <class R>
class ProcessTaskState final : public FutureState<R> {
 public:
  ProcessTaskState() noexcept : FutureState<R>(1, true) {}

  /// The task went straight to a worker (set in submit(), before the Future is returned): a
  /// thread waiting for the result reads the worker's reply itself.
  void sent_direct(std::weak_ptr<multiprocessing::detail::ReplyReader> reader, std::size_t door,
                   const multiprocessing::detail::TaskSink* sink) noexcept {
    reader_ = std::move(reader);
    door_ = door;
    sink_ = sink;
  }

 private:
  ~ProcessTaskState() override = default;
  void destroy() noexcept override { delete this; }
  void drive(const Deadline& deadline) const noexcept override {
    if (auto reader = reader_.lock()) reader->read_reply(door_, sink_, deadline);
  }

  std::weak_ptr<multiprocessing::detail::ReplyReader> reader_;
  std::size_t door_ = 0;
  const multiprocessing::detail::TaskSink* sink_ = nullptr;
};

/// Where the pool delivers a submitted task's outcome: decodes it into the future.
template <class R>
class ProcessSink final : public multiprocessing::detail::TaskSink {
 public:
  ProcessSink(ProcessTaskState<R>* state, std::shared_ptr<ProcessRegistry> registry)
      : state_(state), registry_(std::move(registry)) {
    state_->add_ref();
    entry_.state = state_;
    registry_->add(entry_);
  }
  ProcessSink(const ProcessSink&) = delete;
  ProcessSink& operator=(const ProcessSink&) = delete;
  ~ProcessSink() override {
    // Never completed (the pool dropped the task): the future must not stay pending forever.
    if (!done_ && (started_ || state_->try_start())) {
      state_->store_error(std::make_exception_ptr(
          BrokenProcessPool("concur::futures: the process pool dropped the task")));
      state_->publish(phase::running, true);
    }
    registry_->remove(entry_);
    state_->release();
  }

  /// A worker takes the task: the future is running from now on (Python's
  /// set_running_or_notify_cancel); false if it was cancelled first.
  bool start(std::size_t) noexcept override {
    started_ = state_->try_start();
    if (!started_) done_ = true;
    return started_;
  }

  void sent_direct(std::weak_ptr<multiprocessing::detail::ReplyReader> reader,
                   std::size_t door) noexcept override {
    state_->sent_direct(std::move(reader), door, this);
  }

  void complete(std::size_t, multiprocessing::detail::Outcome&& o) override {
    registry_->remove(entry_);
    done_ = true;
    if (!started_ && !state_->try_start()) return;  // cancelled while queued: dropped
    bool failed = false;
    try {
      if (o.pool_broken) {
        std::string why;
        try {
          o.throw_if_failed();
        } catch (const std::exception& e) {
          why = e.what();
        }
        throw BrokenProcessPool("concur::futures: the process pool is not usable any more: " + why);
      }
      o.throw_if_failed();
      if constexpr (std::is_void_v<R>)
        state_->store_value();
      else
        state_->store_value(multiprocessing::detail::read_result<R>(o.body, o.fds, o.count));
    } catch (...) {
      state_->store_error(std::current_exception());
      failed = true;
    }
    state_->publish(phase::running, failed);
  }

 private:
  ProcessTaskState<R>* state_;
  std::shared_ptr<ProcessRegistry> registry_;
  ProcessRegistry::Entry entry_;  // in registry_'s list until completed
  // Set by start() (the dispatch thread, or a submitter under the pool's lock) and read by
  // complete() (the dispatch thread or a reading waiter, after taking that lock).
  bool started_ = false, done_ = false;
};

}  // namespace detail

/// Python's concurrent.futures.ProcessPoolExecutor, on multiprocessing::Pool's workers: submit()
/// returns a Future completed when the worker's result comes back; a worker that dies fails
/// only its task (multiprocessing::WorkerCrashed) and is replaced. F is a function pointer or a
/// capture-less lambda; arguments and results travel serialised.
/// Throws std::system_error if the workers cannot start.
/// Thread safety: every member may be called from any thread (the destructor excepted).
/// @code
/// concur::futures::ProcessPoolExecutor pool(2);
/// auto f = pool.submit(+[](int x) { return x * x; }, 7);  // Future<int>
/// int v = f.result();                                      // 49
/// @endcode
class ProcessPoolExecutor {
 public:
  /// Starts max_workers worker processes (0: multiprocessing::cpu_count()).
  explicit ProcessPoolExecutor(unsigned max_workers = 0, ProcessPoolOptions options = {})
      : pool_(max_workers,
              multiprocessing::PoolOptions{options.mp_context, options.max_tasks_per_child,
                                           std::move(options.initializer)}) {}
  /// Internal (concur::mpi::MPIPoolExecutor): the same verbs over another pool engine.
  explicit ProcessPoolExecutor(std::unique_ptr<multiprocessing::detail::PoolEngine> engine)
      : pool_(std::move(engine)) {}
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;
  /// shutdown(true).
  ~ProcessPoolExecutor() {
    try {
      shutdown(true);
    } catch (...) {  // the pool's destructor then kills and reaps the workers
    }
  }

  /// f(args...) in a worker process; see the top of this header. Throws std::logic_error
  /// after shutdown(), what serializing the arguments throws.
  template <class F, class... A>
  auto submit(F f, A... args) -> Future<std::decay_t<std::invoke_result_t<F, std::decay_t<A>...>>> {
    using R = std::decay_t<std::invoke_result_t<F, std::decay_t<A>...>>;
    check_open();
    std::vector<multiprocessing::detail::Task> tasks(1);
    tasks[0].message = multiprocessing::detail::call_message(f, std::move(args)...);
    auto* state = new detail::ProcessTaskState<R>();
    Future<R> fut(state, detail::Adopt{});
    tasks[0].sink = std::make_shared<detail::ProcessSink<R>>(state, registry_);
    try {
      pool_.core().submit(std::move(tasks));
    } catch (const std::invalid_argument&) {  // shut down meanwhile
      fut.cancel();
      throw std::logic_error("concur::futures: cannot schedule new futures after shutdown");
    }
    return fut;
  }

  /// f(item) for every item, in order, in chunks of `chunksize` items (0: about 4 chunks per
  /// worker). Rethrows the first failing chunk's exception; std::logic_error after shutdown().
  template <class F, class Range>
  auto map(F f, Range&& items, std::size_t chunksize = 0) {
    check_open();
    try {
      return pool_.map(f, std::forward<Range>(items), chunksize);
    } catch (const BrokenProcessPool&) {
      throw;
    } catch (...) {
      check_open();  // broken meanwhile: BrokenProcessPool, as the futures of Python's map
      throw;
    }
  }

  /// See the top of this header.
  void shutdown(bool wait = true, bool cancel_futures = false) {
    shut_.store(true);
    if (cancel_futures) registry_->cancel_all();
    pool_.close();
    if (wait) pool_.join();
  }

  /// *beyond*: the number of worker processes, and the pids of the current ones.
  unsigned max_workers() const { return pool_.processes(); }
  /// The pids of the current workers (a snapshot).
  std::vector<pid_t> pids() const { return pool_.pids(); }

 private:
  void check_open() {
    if (auto why = pool_.core().broken())
      throw BrokenProcessPool("concur::futures: the process pool is not usable any more: " + *why);
    if (shut_.load())
      throw std::logic_error("concur::futures: cannot schedule new futures after shutdown");
  }

  std::shared_ptr<detail::ProcessRegistry> registry_ = std::make_shared<detail::ProcessRegistry>();
  std::atomic<bool> shut_{false};  // a flag read by every submit: no lock needed
  multiprocessing::Pool pool_;
};

}  // namespace concur::futures
