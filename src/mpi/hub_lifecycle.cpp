// A pool's phases on rank 0's hub: created → opening (open frames out, waiting for every
// agent's answer) → open → stopping (close / terminate sent, waiting for every agent) →
// closed. See hub_impl.hpp.
#include <algorithm>
#include <string>

#include "concur/multiprocessing/errors.hpp"
#include "mpi/hub_impl.hpp"
#include "multiprocessing/image.hpp"

namespace concur::mpi::detail {

namespace mp = concur::multiprocessing;
using mp::detail::Outcome;

bool Hub::step(HubPool& p, Transport& tx) {
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

// Starts rank 0's own workers (use_rank0) and asks every agent to start its own.
void Hub::start(HubPool& p, Transport& tx) {
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
  auto open_frame = [&p] {
    FrameWriter w(FrameType::open);
    w.u64(p.id);
    w.u32(p.options.workers_per_rank);
    w.u32(p.options.max_tasks_per_child);
    return w;
  };
  FrameWriter w = open_frame();
  try {
    if (const auto& init = p.options.initializer) {
      const auto& m = *init.message();
      const std::uint64_t trampoline = mp::detail::encode_code_address(m.trampoline);
      const std::uint64_t fn = mp::detail::encode_code_address(m.fn);
      if (!m.fds.empty())
        throw mp::ProcessError("concur::mpi: an initializer's arguments cannot hold handles (fds)");
      send_modules(tx);
      w.u64(1);
      w.u64(trampoline);
      w.u64(fn);
      w.u64(m.count);
      w.bytes(m.body.view());
    } else {
      w.u64(0);
    }
  } catch (const std::exception& e) {  // the agents open without it; the pool is refused
    if (p.error.empty()) p.error = e.what();
    w = open_frame();
    w.u64(0);
  }
  to_agents(tx, w.finish());
  p.awaiting = static_cast<unsigned>(agents_);
  set_phase(p, HubPool::Phase::opening);
}

// An agent's answer to open: u32 workers, u32 ok, bytes why not.
void Hub::on_opened(HubPool& p, Target& from, int rank, FrameReader& f) {
  const unsigned workers = f.u32();
  const bool ok = f.u32() != 0;
  const std::string_view why = f.bytes();
  if (!ok && p.error.empty())
    p.error = "concur::mpi: rank " + std::to_string(rank) +
              " cannot start its workers: " + std::string(why);
  from.workers = workers;
  from.window = Window(workers);
  if (--p.awaiting > 0) return;
  unsigned total = p.local ? p.local->processes() : 0;
  for (const auto& t : p.targets) total += t.workers;
  {
    std::lock_guard lock(m_);
    p.total = total;
  }
  set_phase(p, HubPool::Phase::open);
}

// Fails everything not finished (cancelled), tells the agents to kill their workers.
void Hub::terminate(HubPool& p, Transport& tx) {
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
void Hub::send_modules(Transport& tx) {
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

}  // namespace concur::mpi::detail
