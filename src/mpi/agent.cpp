// The agent of a rank != 0: runs the local process pools rank 0 opens, executes the tasks it
// sends and sends back the outcomes, until rank 0 says exit.
//
// The main thread owns MPI (it called MPI_Init_thread). Outcomes arrive from the pools'
// dispatch threads through an inbox that wakes it at once; frames from rank 0 are polled with
// a back-off (backoff.hpp). Workers are forked from this process (the fork start method):
// code addresses decoded here are valid in them.
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "concur/multiprocessing/detail/pool_core.hpp"
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

struct Done {
  std::uint64_t pool, id;
  Outcome outcome;
};

// Where the pools' dispatch threads leave outcomes for the main thread.
struct Inbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Done> done;
  void put(Done d) {
    {
      std::lock_guard lock(mutex);
      done.push_back(std::move(d));
    }
    cv.notify_one();
  }
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

mp::detail::Message read_call(FrameReader& r) {
  mp::detail::Message m;
  m.kind = mp::detail::Kind::task;
  const std::uint64_t trampoline = r.u64(), fn = r.u64();
  m.count = r.u64();
  const std::string_view body = r.bytes();
  if (body.size() > mp::detail::Payload::spill_threshold)
    m.body.append(body);  // a memfd: the worker maps it instead of reading a socket
  else
    m.body = mp::detail::Payload::from_string(std::string(body));
  m.body.finish();
  m.trampoline = mp::detail::decode_code_address(trampoline);
  m.fn = mp::detail::decode_code_address(fn);
  return m;
}

Outcome failed(const std::exception& e) {
  Outcome o;
  o.state = Outcome::State::local;
  o.local = std::make_exception_ptr(mp::ProcessError(e.what()));
  return o;
}

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
      if (inbox_->done.empty() && sleep.count() > 0) inbox_->cv.wait_for(lock, sleep);
    }
    for (auto& [id, pool] : pools_) pool->terminate();
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
            it->second->close();
            it->second->join();
          } else {
            it->second->terminate();
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
      if (r.u64() != 0) config.initializer = mp::Initializer::from_message(read_call(r));
      auto core = std::make_unique<mp::detail::ProcessPoolCore>(std::move(config));
      w.u32(core->processes());
      w.u32(1);
      w.bytes({});
      pools_[id] = std::move(core);
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
    auto it = pools_.find(pool);
    auto sink = std::make_shared<Sink>(pool, inbox_);
    std::vector<mp::detail::Task> batch;
    batch.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t id = r.u64();
      try {
        mp::detail::Task t;
        t.message = read_call(r);
        t.sink = sink;
        t.index = static_cast<std::size_t>(id);
        batch.push_back(std::move(t));
      } catch (const std::exception& e) {  // an address this build cannot map
        sink->complete(static_cast<std::size_t>(id), failed(e));
      }
    }
    if (it == pools_.end()) {
      for (auto& t : batch)
        t.sink->complete(t.index, Outcome::cancelled("the pool is not open on this rank"));
      return;
    }
    try {
      it->second->submit(std::move(batch));
    } catch (const std::exception& e) {
      for (auto& t : batch) t.sink->complete(t.index, failed(e));
    }
  }

  // Sends the outcomes the pools produced, one results frame per pool; true if any.
  bool send_outcomes() {
    std::vector<Done> done;
    {
      std::lock_guard lock(inbox_->mutex);
      done.swap(inbox_->done);
    }
    if (done.empty()) return false;
    std::map<std::uint64_t, std::vector<Done*>> by_pool;
    for (auto& d : done) by_pool[d.pool].push_back(&d);
    for (auto& [pool, list] : by_pool) {
      FrameWriter w(FrameType::results);
      w.u64(pool);
      w.u64(list.size());
      for (Done* d : list) write_outcome(w, d->id, d->outcome);
      reply(w.finish());
    }
    return true;
  }

  Transport tx_;
  std::shared_ptr<Inbox> inbox_ = std::make_shared<Inbox>();
  std::map<std::uint64_t, std::unique_ptr<mp::detail::ProcessPoolCore>> pools_;
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
