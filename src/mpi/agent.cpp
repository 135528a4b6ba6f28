// The agent of a rank != 0: runs the local process pools rank 0 opens, executes the tasks it
// sends and sends back the outcomes, until rank 0 says exit.
//
// The main thread owns MPI (it called MPI_Init_thread). Outcomes arrive from the pools'
// dispatch threads through an inbox that wakes it at once; frames from rank 0 are polled with
// a back-off (backoff.hpp). Workers are forked from this process (the fork start method):
// code addresses decoded here are valid in them, and the outcome board mapped here is shared
// with them. Tiny tasks go to the workers in bundles (bundle.hpp).
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "concur/multiprocessing/detail/pool_core.hpp"
#include "mpi/backoff.hpp"
#include "mpi/bundle.hpp"
#include "mpi/frames.hpp"
#include "mpi/outcome_wire.hpp"
#include "mpi/runtime.hpp"
#include "mpi/transport.hpp"
#include "multiprocessing/image.hpp"

namespace concur::mpi::detail {
namespace {

namespace mp = concur::multiprocessing;
using mp::detail::Outcome;

struct Done {
  std::uint64_t pool, id;
  Outcome outcome;
};

// Where the pools' dispatch threads leave outcomes (and the sub-tasks of bundles to send
// again) for the main thread.
struct Inbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Done> done;
  std::vector<std::pair<std::uint64_t, std::vector<Call>>> again;
  void put(Done d) {
    {
      std::lock_guard lock(mutex);
      done.push_back(std::move(d));
    }
    cv.notify_one();
  }
  void put(std::uint64_t pool, Unbundled u) {
    {
      std::lock_guard lock(mutex);
      for (auto& [id, o] : u.done) done.push_back({pool, id, std::move(o)});
      if (!u.again.empty()) again.emplace_back(pool, std::move(u.again));
    }
    cv.notify_one();
  }
  bool empty() const { return done.empty() && again.empty(); }
};

class Sink final : public mp::detail::TaskSink {
 public:
  Sink(std::uint64_t pool, std::shared_ptr<Inbox> inbox) : pool_(pool), inbox_(std::move(inbox)) {}
  void complete(std::size_t index, Outcome&& o) override {
    inbox_->put({pool_, static_cast<std::uint64_t>(index), std::move(o)});
  }

 private:
  std::uint64_t pool_;
  std::shared_ptr<Inbox> inbox_;
};

// A bundle's outcome: its sub-tasks' outcomes, and those to send again (bundle.hpp).
class BundleSink final : public mp::detail::TaskSink {
 public:
  BundleSink(std::uint64_t pool, Board& board, unsigned slot, std::vector<Call> calls,
             std::shared_ptr<Inbox> inbox)
      : pool_(pool),
        board_(board),
        slot_(slot),
        calls_(std::move(calls)),
        inbox_(std::move(inbox)) {}
  void complete(std::size_t, Outcome&& o) override {
    Unbundled u = unbundle(board_, slot_, std::move(calls_), std::move(o));
    board_.release(slot_);
    inbox_->put(pool_, std::move(u));
  }

 private:
  std::uint64_t pool_;
  Board& board_;
  unsigned slot_;
  std::vector<Call> calls_;
  std::shared_ptr<Inbox> inbox_;
};

Outcome failed(const std::exception& e) {
  Outcome o;
  o.state = Outcome::State::local;
  o.local = std::make_exception_ptr(mp::ProcessError(e.what()));
  return o;
}

// One call of a frame (id not included), its code addresses mapped here. Throws ProcessError
// for an address this build cannot map, or a malformed frame.
Call read_call(FrameReader& r, std::uint64_t id) {
  Call c;
  c.id = id;
  const std::uint64_t trampoline = r.u64(), fn = r.u64();
  c.count = r.u64();
  c.body = std::string(r.bytes());
  c.trampoline = mp::detail::decode_code_address(trampoline);
  c.fn = mp::detail::decode_code_address(fn);
  return c;
}

struct AgentPool {
  std::unique_ptr<mp::detail::ProcessPoolCore> core;
  bool bundles = false;  // tiny tasks go to workers in bundles (not with maxtasksperchild)
};

class Agent {
 public:
  Agent() : tx_(runtime().comm, tag_to_agent) {}

  void run() {
    bool exiting = false;
    Backoff backoff;
    while (!exiting) {
      bool worked = tx_.progress();
      for (int i = 0; i < 64 && !exiting; ++i) {  // a bounded batch, then send what finished
        auto r = tx_.try_recv();
        if (!r) break;
        worked = true;
        exiting = handle(r->frame);
      }
      worked |= send_outcomes();
      if (worked) {
        backoff.reset();
        continue;
      }
      const auto sleep = backoff.next();
      std::unique_lock lock(inbox_->mutex);
      if (inbox_->empty() && sleep.count() > 0) inbox_->cv.wait_for(lock, sleep);
    }
    for (auto& [id, pool] : pools_) pool.core->terminate();
    pools_.clear();
    tx_.flush();
  }

 private:
  void reply(std::string frame) { tx_.send(0, tag_to_root, std::move(frame)); }

  // True when rank 0 said exit.
  bool handle(const std::string& frame) {
    FrameReader r(frame);
    switch (r.type()) {
      case FrameType::open:
        open(r);
        return false;
      case FrameType::tasks:
        tasks(r);
        return false;
      case FrameType::close:
      case FrameType::terminate: {
        const std::uint64_t id = r.u64();
        auto it = pools_.find(id);
        if (it != pools_.end()) {
          if (r.type() == FrameType::close) {
            it->second.core->close();
            it->second.core->join();
          } else {
            it->second.core->terminate();
          }
          pools_.erase(it);
        }
        FrameWriter w(FrameType::closed);
        w.u64(id);
        reply(w.finish());
        return false;
      }
      case FrameType::modules: {
        const std::uint64_t first = r.u64();
        const std::uint64_t n = r.count(8);
        std::vector<std::string> paths;
        for (std::uint64_t i = 0; i < n; ++i) paths.emplace_back(r.bytes());
        try {
          mp::detail::load_modules(static_cast<std::size_t>(first), paths);
        } catch (const std::exception& e) {  // the tasks that need them fail by name
          std::fprintf(stderr, "concur::mpi: rank %d: %s\n", runtime().rank, e.what());
        }
        return false;
      }
      case FrameType::exit:
        return true;
      default:
        throw mp::ProcessError("concur::mpi: unexpected frame from rank 0");
    }
  }

  void open(FrameReader& r) {
    const std::uint64_t id = r.u64();
    mp::detail::ProcessPoolConfig config;
    config.processes = r.u32();
    config.maxtasksperchild = r.u32();
    config.method = mp::StartMethod::fork;
    FrameWriter w(FrameType::opened);
    w.u64(id);
    try {
      if (r.u64() != 0)
        config.initializer = mp::Initializer::from_message(to_message(read_call(r, 0)));
      AgentPool p;
      p.bundles = config.maxtasksperchild == 0;
      p.core = std::make_unique<mp::detail::ProcessPoolCore>(std::move(config));
      w.u32(p.core->processes());
      w.u32(1);
      w.bytes({});
      pools_[id] = std::move(p);
    } catch (const std::exception& e) {
      w.u32(0);
      w.u32(0);
      w.bytes(e.what());
    }
    reply(w.finish());
  }

  void tasks(FrameReader& r) {
    const std::uint64_t pool = r.u64();
    const std::uint64_t n = r.count(40);
    std::vector<Call> calls;
    calls.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t id = r.u64();
      try {
        calls.push_back(read_call(r, id));
      } catch (const mp::ProcessError& e) {  // an address this build cannot map
        inbox_->put({pool, id, failed(e)});
      }
    }
    run(pool, std::move(calls));
  }

  // Hands `calls` to the pool's workers: tiny ones in bundles (one per worker, up to
  // bundle_tasks_max / bundle_bytes_max each: a worker runs its share of a batch after one
  // hand-over), the others one by one.
  void run(std::uint64_t pool, std::vector<Call> calls) {
    auto it = pools_.find(pool);
    if (it == pools_.end()) {
      for (auto& c : calls)
        inbox_->put({pool, c.id, Outcome::cancelled("the pool is not open on this rank")});
      return;
    }
    AgentPool& p = it->second;
    auto sink = std::make_shared<Sink>(pool, inbox_);
    std::vector<mp::detail::Task> batch;
    auto single = [&](Call& c) {
      try {
        mp::detail::Task t;
        t.message = to_message(c);
        t.sink = sink;
        t.index = static_cast<std::size_t>(c.id);
        batch.push_back(std::move(t));
      } catch (const std::exception& e) {
        inbox_->put({pool, c.id, failed(e)});
      }
    };
    std::vector<Call> tiny;
    for (auto& c : calls) {
      if (p.bundles && c.body.size() <= bundle_body_max)
        tiny.push_back(std::move(c));
      else
        single(c);
    }
    const std::size_t bundles = std::max(1u, p.core->processes());
    const std::size_t per =
        std::min<std::size_t>((tiny.size() + bundles - 1) / bundles, bundle_tasks_max);
    for (std::size_t i = 0; i < tiny.size();) {
      std::vector<Call> group;
      std::size_t bytes = 0;
      for (; i < tiny.size() && group.size() < per && bytes < bundle_bytes_max; ++i) {
        bytes += tiny[i].body.size() + 32;
        group.push_back(std::move(tiny[i]));
      }
      const auto slot = group.size() > 1 ? board_.acquire() : std::nullopt;
      if (!slot) {
        for (auto& c : group) single(c);
        continue;
      }
      mp::detail::Task t = make_bundle(*slot, group, nullptr);
      t.sink = std::make_shared<BundleSink>(pool, board_, *slot, std::move(group), inbox_);
      batch.push_back(std::move(t));
    }
    // The first ones one by one: a task that finds an idle worker goes straight to it (the
    // pool's direct path), not through the pool's dispatch thread: a wake-up less on its way.
    const std::size_t alone = std::min<std::size_t>(batch.size(), p.core->processes());
    for (std::size_t i = 0; i < batch.size();) {
      const std::size_t n = i < alone ? 1 : batch.size() - i;
      std::vector<mp::detail::Task> part(std::make_move_iterator(batch.begin() + i),
                                         std::make_move_iterator(batch.begin() + i + n));
      std::vector<std::pair<std::shared_ptr<mp::detail::TaskSink>, std::size_t>> owners;
      for (const auto& t : part) owners.emplace_back(t.sink, t.index);
      i += n;
      try {
        p.core->submit(std::move(part));
      } catch (const std::exception& e) {  // the pool was closed meanwhile
        for (auto& [owner, index] : owners) owner->complete(index, failed(e));
      }
    }
  }

  // Sends the outcomes the pools produced, one results frame per pool, and hands the
  // sub-tasks of bundles that never started to the workers again; true if any.
  bool send_outcomes() {
    std::vector<Done> done;
    std::vector<std::pair<std::uint64_t, std::vector<Call>>> again;
    {
      std::lock_guard lock(inbox_->mutex);
      done.swap(inbox_->done);
      again.swap(inbox_->again);
    }
    for (auto& [pool, calls] : again) run(pool, std::move(calls));
    if (done.empty()) return !again.empty();
    std::map<std::uint64_t, std::vector<Done*>> by_pool;
    for (auto& d : done) by_pool[d.pool].push_back(&d);
    for (auto& [pool, list] : by_pool) {
      FrameWriter w(FrameType::results);
      std::size_t bytes = header_size + 16;
      for (const Done* d : list)
        bytes += 48 + (d->outcome.state == Outcome::State::ok ? d->outcome.body.view().size() : 0);
      w.reserve(bytes);
      w.u64(pool);
      w.u64(list.size());
      for (Done* d : list) write_outcome(w, d->id, d->outcome);
      reply(w.finish());
    }
    return true;
  }

  Board board_;  // mapped before any worker is forked
  Transport tx_;
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
  std::map<std::uint64_t, AgentPool> pools_;
};

}  // namespace

void agent_main() {
  try {
    Agent agent;
    agent.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "concur::mpi: agent on rank %d failed: %s\n", runtime().rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

}  // namespace concur::mpi::detail
