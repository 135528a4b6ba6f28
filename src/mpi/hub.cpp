// Rank 0's dispatcher: see hub.hpp.
#include "mpi/hub.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "concur/multiprocessing/errors.hpp"
#include "mpi/backoff.hpp"
#include "mpi/frames.hpp"
#include "mpi/outcome_wire.hpp"
#include "mpi/runtime.hpp"
#include "mpi/transport.hpp"
#include "multiprocessing/image.hpp"

namespace concur::mpi::detail {
namespace {

namespace mp = concur::multiprocessing;
using mp::detail::Outcome;
using mp::detail::Task;
using mp::detail::TaskSource;

// A batch frame is sent once it holds this many bytes (bigger tasks go alone).
constexpr std::size_t batch_bytes = std::size_t{4} << 20;

struct Target {
  unsigned workers = 0;
  unsigned window = 0;    // tasks in flight at most
  unsigned inflight = 0;  // tasks sent, outcome not back yet
};

struct HubPool {
  enum class Phase { created, opening, open, stopping, closed };
  std::uint64_t id = 0;
  MPIPoolOptions options;

  // Guarded by the hub's mutex:
  std::deque<Task> pending;
  std::deque<std::shared_ptr<TaskSource>> new_sources;
  bool closing = false, terminating = false;
  Phase phase = Phase::created;
  std::string error;                  // opening failed
  unsigned total = 0;                 // workers on every rank
  std::optional<std::string> broken;  // an initializer failed on some rank

  // The hub thread's (and, once open, read-only for pids()):
  std::unique_ptr<mp::detail::ProcessPoolCore> local;
  std::shared_ptr<std::atomic<unsigned>> local_inflight =
      std::make_shared<std::atomic<unsigned>>(0);
  unsigned local_window = 0;
  std::deque<Task> ready;
  std::deque<std::shared_ptr<TaskSource>> sources;
  std::unordered_map<std::uint64_t, Task> inflight;
  std::vector<Target> targets;  // [rank - 1]
  unsigned awaiting = 0;        // opened / closed replies still to come
  std::uint64_t next_id = 1;
  bool closing_seen = false, terminating_seen = false;
};

void finish(Task&& t, Outcome&& o) { t.sink->complete(t.index, std::move(o)); }

Outcome local_failure(const std::string& what) {
  Outcome o;
  o.state = Outcome::State::local;
  o.local = std::make_exception_ptr(mp::ProcessError(what));
  return o;
}

class Hub {
 public:
  static Hub& get() {
    static Hub* hub = new Hub;  // leaked: stopped by hub_exit(), used until the process ends
    return *hub;
  }
  static bool started() { return instance_made.load(); }

  std::shared_ptr<HubPool> open(const MPIPoolOptions& options) {
    auto p = std::make_shared<HubPool>();
    p->options = options;
    std::unique_lock lock(m_);
    if (stopping_) throw std::logic_error("concur::mpi: the program is exiting");
    p->id = next_pool_++;
    std::erase_if(all_, [](const auto& w) { return w.expired(); });
    new_pools_.push_back(p);
    all_.push_back(p);
    dirty_ = true;
    cv_.notify_all();
    phase_cv_.wait(lock, [&] { return p->phase >= HubPool::Phase::open; });
    if (!p->error.empty()) {
      const std::string error = p->error;
      p->terminating = true;
      dirty_ = true;
      cv_.notify_all();
      phase_cv_.wait(lock, [&] { return p->phase == HubPool::Phase::closed; });
      throw mp::ProcessError(error);
    }
    return p;
  }

  void wake() {
    {
      std::lock_guard lock(m_);
      dirty_ = true;
    }
    cv_.notify_all();
  }

  std::mutex& mutex() { return m_; }
  std::condition_variable& phase_cv() { return phase_cv_; }

  // At rank 0's exit: terminates every pool, tells the agents to leave, ends the thread.
  void stop() {
    {
      std::lock_guard lock(m_);
      stopping_ = true;
      for (auto& w : all_)
        if (auto p = w.lock()) p->terminating = true;
      dirty_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  Hub() : agents_(runtime().size - 1), modules_sent_(static_cast<std::size_t>(agents_), 1) {
    instance_made = true;
    thread_ = std::thread([this] { run(); });
  }

  void set_phase(HubPool& p, HubPool::Phase phase) {
    {
      std::lock_guard lock(m_);
      p.phase = phase;
    }
    phase_cv_.notify_all();
  }

  void to_agents(Transport& tx, const std::string& frame) {
    for (int r = 1; r <= agents_; ++r) tx.send(r, tag_to_agent, frame);
  }
  void to_agents(Transport& tx, FrameType type, std::uint64_t pool) {
    FrameWriter w(type);
    w.u64(pool);
    to_agents(tx, w.finish());
  }

  void run() {
    try {
      loop();
    } catch (const std::exception& e) {  // a bug or a corrupt frame: no way to go on
      std::fprintf(stderr, "concur::mpi: rank 0's dispatcher failed: %s\n", e.what());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }

  void loop() {
    Transport tx(runtime().comm, tag_to_root);
    Backoff backoff;
    std::vector<std::shared_ptr<HubPool>> pools;
    for (;;) {
      bool stop_now;
      {
        std::lock_guard lock(m_);
        dirty_ = false;
        for (auto& p : new_pools_) pools.push_back(std::move(p));
        new_pools_.clear();
        for (auto& p : pools) {
          for (auto& t : p->pending) p->ready.push_back(std::move(t));
          p->pending.clear();
          for (auto& s : p->new_sources) p->sources.push_back(std::move(s));
          p->new_sources.clear();
          p->closing_seen = p->closing;
          p->terminating_seen = p->terminating;
        }
        stop_now = stopping_;
      }
      bool worked = tx.progress();
      for (int i = 0; i < 256; ++i) {
        auto r = tx.try_recv();
        if (!r) break;
        worked = true;
        on_frame(*r, pools);
      }
      for (auto& p : pools) worked |= step(*p, tx);
      std::erase_if(pools, [](const auto& p) { return p->phase == HubPool::Phase::closed; });
      if (stop_now && pools.empty()) {
        FrameWriter w(FrameType::exit);
        to_agents(tx, w.finish());
        tx.flush();
        return;
      }
      if (worked) {
        backoff.reset();
        continue;
      }
      bool out = tx.sending();
      for (auto& p : pools) out = out || !p->inflight.empty() || p->awaiting > 0;
      const auto sleep = out ? backoff.next() : std::chrono::microseconds(0);
      std::unique_lock lock(m_);
      if (dirty_) continue;
      if (!out)
        cv_.wait(lock, [&] { return dirty_; });
      else if (sleep.count() > 0)
        cv_.wait_for(lock, sleep);
    }
  }

  HubPool* find(std::vector<std::shared_ptr<HubPool>>& pools, std::uint64_t id) {
    for (auto& p : pools)
      if (p->id == id) return p.get();
    return nullptr;
  }

  void on_frame(const Received& r, std::vector<std::shared_ptr<HubPool>>& pools) {
    FrameReader f(r.frame);
    if (r.source < 1 || r.source > agents_) return;
    HubPool* p = find(pools, f.u64());
    if (p == nullptr) return;  // a pool already gone (a terminated pool's late outcomes)
    Target& from = p->targets[static_cast<std::size_t>(r.source - 1)];
    switch (f.type()) {
      case FrameType::opened: {
        const unsigned workers = f.u32();
        const bool ok = f.u32() != 0;
        const std::string_view why = f.bytes();
        if (!ok && p->error.empty())
          p->error = "concur::mpi: rank " + std::to_string(r.source) +
                     " cannot start its workers: " + std::string(why);
        from.workers = workers;
        from.window = std::max(16u, 16 * workers);
        if (--p->awaiting == 0) {
          unsigned total = p->local ? p->local->processes() : 0;
          for (const auto& t : p->targets) total += t.workers;
          {
            std::lock_guard lock(m_);
            p->total = total;
          }
          set_phase(*p, HubPool::Phase::open);
        }
        break;
      }
      case FrameType::results: {
        const std::uint64_t n = f.count(40);
        for (std::uint64_t i = 0; i < n; ++i) {
          std::uint64_t id = 0;
          Outcome o = read_outcome(f, id, r.source);
          if (o.pool_broken) note_broken(*p, o);
          auto it = p->inflight.find(id);
          if (it == p->inflight.end()) continue;
          Task t = std::move(it->second);
          p->inflight.erase(it);
          --from.inflight;
          finish(std::move(t), std::move(o));
        }
        break;
      }
      case FrameType::closed:
        if (p->awaiting > 0) --p->awaiting;
        break;
      default:
        break;
    }
  }

  // An initializer failed on a rank: the pool is broken (futures::BrokenProcessPool).
  void note_broken(HubPool& p, const Outcome& o) {
    std::string why = o.message;
    try {
      o.throw_if_failed();
    } catch (const std::exception& e) {
      why = e.what();
    } catch (...) {
    }
    std::lock_guard lock(m_);
    if (!p.broken) p.broken = why;
  }

  // One pool's progress; true if something happened.
  bool step(HubPool& p, Transport& tx) {
    using Phase = HubPool::Phase;
    switch (p.phase) {
      case Phase::created:
        start(p, tx);
        return true;
      case Phase::opening:
        return false;
      case Phase::open:
        if (p.terminating_seen) {
          terminate(p, tx);
          return true;
        }
        if (dispatch(p, tx)) return true;
        if (p.closing_seen && p.ready.empty() && p.sources.empty() && p.inflight.empty() &&
            p.local_inflight->load() == 0) {
          to_agents(tx, FrameType::close, p.id);
          p.awaiting = static_cast<unsigned>(agents_);
          if (p.local) {
            p.local->close();
            p.local->join();
          }
          set_phase(p, Phase::stopping);
          return true;
        }
        return false;
      case Phase::stopping:
        if (p.awaiting == 0) {
          set_phase(p, Phase::closed);
          return true;
        }
        return false;
      case Phase::closed:
        return false;
    }
    return false;
  }

  void start(HubPool& p, Transport& tx) {
    p.targets.assign(static_cast<std::size_t>(agents_), Target{});
    if (p.options.use_rank0) {
      try {
        mp::detail::ProcessPoolConfig config;
        config.processes = p.options.workers_per_rank;
        config.method = mp::get_start_method();
        config.maxtasksperchild = p.options.max_tasks_per_child;
        config.initializer = p.options.initializer;
        p.local = std::make_unique<mp::detail::ProcessPoolCore>(std::move(config));
        p.local_window = std::max(4u, 4 * p.local->processes());
      } catch (const std::exception& e) {
        p.error = std::string("concur::mpi: rank 0 cannot start its workers: ") + e.what();
      }
    }
    FrameWriter w(FrameType::open);
    w.u64(p.id);
    w.u32(p.options.workers_per_rank);
    w.u32(p.options.max_tasks_per_child);
    const auto& init = p.options.initializer;
    try {
      if (init) {
        const auto& m = *init.message();
        const std::uint64_t trampoline = mp::detail::encode_code_address(m.trampoline);
        const std::uint64_t fn = mp::detail::encode_code_address(m.fn);
        if (!m.fds.empty())
          throw mp::ProcessError(
              "concur::mpi: an initializer's arguments cannot hold handles (fds)");
        send_modules(tx);
        w.u64(1);
        w.u64(trampoline);
        w.u64(fn);
        w.u64(m.count);
        w.bytes(m.body.view());
      } else {
        w.u64(0);
      }
    } catch (const std::exception& e) {
      if (p.error.empty()) p.error = e.what();
      FrameWriter plain(FrameType::open);
      plain.u64(p.id);
      plain.u32(p.options.workers_per_rank);
      plain.u32(p.options.max_tasks_per_child);
      plain.u64(0);
      w = std::move(plain);
    }
    to_agents(tx, w.finish());
    p.awaiting = static_cast<unsigned>(agents_);
    set_phase(p, HubPool::Phase::opening);
  }

  void terminate(HubPool& p, Transport& tx) {
    to_agents(tx, FrameType::terminate, p.id);
    p.awaiting = static_cast<unsigned>(agents_);
    const std::string why = "concur::mpi: the pool was terminated";
    for (auto& t : p.ready) finish(std::move(t), Outcome::cancelled(why));
    p.ready.clear();
    for (auto& [id, t] : p.inflight) finish(std::move(t), Outcome::cancelled(why));
    p.inflight.clear();
    for (auto& s : p.sources) s->break_off(why);
    p.sources.clear();
    for (auto& t : p.targets) t.inflight = 0;
    if (p.local) p.local->terminate();
    set_phase(p, HubPool::Phase::stopping);
  }

  // Announces shared libraries the agents have not heard of (functions in them travel as
  // offsets into them).
  void send_modules(Transport& tx) {
    const std::size_t count = mp::detail::module_count();
    for (int r = 1; r <= agents_; ++r) {
      std::size_t& sent = modules_sent_[static_cast<std::size_t>(r - 1)];
      if (count <= sent) continue;
      const auto paths = mp::detail::module_paths(sent);
      FrameWriter w(FrameType::modules);
      w.u64(sent);
      w.u64(paths.size());
      for (const auto& path : paths) w.bytes(path);
      tx.send(r, tag_to_agent, w.finish());
      sent += paths.size();
    }
  }

  std::optional<Task> next_task(HubPool& p) {
    if (!p.ready.empty()) {
      Task t = std::move(p.ready.front());
      p.ready.pop_front();
      return t;
    }
    for (auto it = p.sources.begin(); it != p.sources.end();) {
      bool done = false;
      auto t = (*it)->next(p.closing_seen, done);
      if (done)
        it = p.sources.erase(it);
      else
        ++it;
      if (t) return t;
    }
    return std::nullopt;
  }

  // The local pool's sink wrapper: counts the task as back, wakes the hub. (start() is the
  // hub's, called once before the task goes anywhere: the wrapper's default says yes.)
  class LocalSink final : public mp::detail::TaskSink {
   public:
    LocalSink(Task& t, std::shared_ptr<std::atomic<unsigned>> count, Hub* hub)
        : inner_(std::move(t.sink)), index_(t.index), count_(std::move(count)), hub_(hub) {}
    void complete(std::size_t, Outcome&& o) override {
      inner_->complete(index_, std::move(o));
      count_->fetch_sub(1);
      hub_->wake();
    }

   private:
    std::shared_ptr<mp::detail::TaskSink> inner_;
    std::size_t index_;
    std::shared_ptr<std::atomic<unsigned>> count_;
    Hub* hub_;
  };

  struct Batch {
    std::optional<FrameWriter> w;
    std::size_t count_at = 0;
    std::uint64_t n = 0;
  };

  // Sends tasks while some target has room; true if any went out.
  bool dispatch(HubPool& p, Transport& tx) {
    std::vector<Batch> batches(p.targets.size());
    bool worked = false;
    auto flush = [&](std::size_t i) {
      Batch& b = batches[i];
      if (!b.w) return;
      b.w->patch_u64(b.count_at, b.n);
      send_modules(tx);
      tx.send(static_cast<int>(i) + 1, tag_to_agent, b.w->finish());
      b = Batch{};
    };
    for (;;) {
      int best = -1;
      unsigned best_free = 0;
      for (std::size_t i = 0; i < p.targets.size(); ++i) {
        const Target& t = p.targets[i];
        const unsigned free = t.window > t.inflight ? t.window - t.inflight : 0;
        if (free > best_free) {
          best_free = free;
          best = static_cast<int>(i);
        }
      }
      bool local = false;
      if (p.local) {
        const unsigned busy = p.local_inflight->load();
        const unsigned free = p.local_window > busy ? p.local_window - busy : 0;
        if (free > best_free) local = true;
      }
      if (best < 0 && !local) break;
      auto t = next_task(p);
      if (!t) break;
      worked = true;
      if (!t->sink->start(t->index)) continue;  // cancelled while queued: never runs
      if (local) {
        t->sink = std::make_shared<LocalSink>(*t, p.local_inflight, this);
        t->index = 0;
        p.local_inflight->fetch_add(1);
        std::vector<Task> one;
        one.push_back(std::move(*t));
        try {
          p.local->submit(std::move(one));
        } catch (const std::exception&) {  // closed meanwhile: the sink never completes
          p.local_inflight->fetch_sub(1);
        }
        continue;
      }
      t->message.body.finish();
      const mp::detail::Message& m = t->message;
      if (!m.fds.empty()) {
        finish(std::move(*t),
               local_failure("concur::mpi: arguments that hold handles (SharedArray, Queue, "
                             "locks...) cannot travel to another rank"));
        continue;
      }
      std::uint64_t trampoline = 0, fn = 0;
      try {
        trampoline = mp::detail::encode_code_address(m.trampoline);
        fn = mp::detail::encode_code_address(m.fn);
      } catch (const std::exception& e) {
        finish(std::move(*t), local_failure(e.what()));
        continue;
      }
      const auto i = static_cast<std::size_t>(best);
      Batch& b = batches[i];
      if (!b.w) {
        b.w.emplace(FrameType::tasks);
        b.w->u64(p.id);
        b.count_at = b.w->size();
        b.w->u64(0);
      }
      const std::uint64_t id = p.next_id++;
      b.w->u64(id);
      b.w->u64(trampoline);
      b.w->u64(fn);
      b.w->u64(m.count);
      b.w->bytes(m.body.view());
      ++b.n;
      ++p.targets[i].inflight;
      p.inflight.emplace(id, std::move(*t));
      if (b.w->size() >= batch_bytes) flush(i);
    }
    for (std::size_t i = 0; i < batches.size(); ++i) flush(i);
    return worked;
  }

  static inline std::atomic<bool> instance_made{false};
  const int agents_;
  std::vector<std::size_t> modules_sent_;  // per agent: module numbers it knows
  std::mutex m_;
  std::condition_variable cv_, phase_cv_;
  bool dirty_ = false, stopping_ = false;
  std::uint64_t next_pool_ = 1;
  std::vector<std::shared_ptr<HubPool>> new_pools_;
  std::vector<std::weak_ptr<HubPool>> all_;
  std::thread thread_;
};

class HubEngine final : public mp::detail::PoolEngine {
 public:
  explicit HubEngine(std::shared_ptr<HubPool> p) : hub_(Hub::get()), p_(std::move(p)) {}
  ~HubEngine() override { terminate(); }

  void submit(std::vector<Task> tasks) override {
    {
      std::lock_guard lock(hub_.mutex());
      check_running();
      for (auto& t : tasks) p_->pending.push_back(std::move(t));
    }
    hub_.wake();
  }
  void submit(std::shared_ptr<TaskSource> source) override {
    {
      std::lock_guard lock(hub_.mutex());
      check_running();
      p_->new_sources.push_back(std::move(source));
    }
    hub_.wake();
  }
  std::function<void()> waker() const override {
    return [hub = &hub_] { hub->wake(); };
  }
  void close() override {
    {
      std::lock_guard lock(hub_.mutex());
      p_->closing = true;
    }
    hub_.wake();
  }
  void terminate() override {
    {
      std::lock_guard lock(hub_.mutex());
      p_->terminating = true;
    }
    hub_.wake();
    wait_closed();
  }
  void join() override {
    {
      std::lock_guard lock(hub_.mutex());
      if (!p_->closing && !p_->terminating)
        throw std::invalid_argument("concur::multiprocessing: Pool.join() before close()");
    }
    wait_closed();
  }
  unsigned processes() const override {
    std::lock_guard lock(hub_.mutex());
    return p_->total;
  }
  std::optional<std::string> broken() const override {
    std::lock_guard lock(hub_.mutex());
    return p_->broken;
  }
  std::vector<pid_t> pids() const override {
    return p_->local ? p_->local->pids() : std::vector<pid_t>{};
  }

 private:
  void check_running() const {
    if (p_->closing || p_->terminating)
      throw std::invalid_argument("concur::multiprocessing: Pool not running");
  }
  void wait_closed() {
    std::unique_lock lock(hub_.mutex());
    hub_.phase_cv().wait(lock, [&] { return p_->phase == HubPool::Phase::closed; });
  }

  Hub& hub_;
  std::shared_ptr<HubPool> p_;
};

}  // namespace

std::unique_ptr<mp::detail::PoolEngine> open_hub_pool(const MPIPoolOptions& options) {
  return std::make_unique<HubEngine>(Hub::get().open(options));
}

void hub_exit() {
  if (Hub::started()) {
    Hub::get().stop();
    return;
  }
  Transport tx(runtime().comm, tag_to_root);
  for (int r = 1; r < runtime().size; ++r) {
    FrameWriter w(FrameType::exit);
    tx.send(r, tag_to_agent, w.finish());
  }
  tx.flush();
}

}  // namespace concur::mpi::detail
