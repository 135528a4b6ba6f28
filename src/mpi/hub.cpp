// Rank 0's dispatcher thread: its loop, opening pools, stopping at exit (see hub_impl.hpp).
#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "concur/multiprocessing/errors.hpp"
#include "mpi/backoff.hpp"
#include "mpi/hub_impl.hpp"
#include "mpi/runtime.hpp"

namespace concur::mpi::detail {

Hub& Hub::get() {
  static Hub* hub = new Hub;  // leaked: stopped by hub_exit(), used until the process ends
  return *hub;
}

Hub::Hub() : agents_(runtime().size - 1), modules_sent_(static_cast<std::size_t>(agents_), 1) {
  instance_made = true;
  thread_ = std::thread([this] { run(); });
}

std::shared_ptr<HubPool> Hub::open(const MPIPoolOptions& options) {
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
    throw multiprocessing::ProcessError(error);
  }
  return p;
}

void Hub::wake() {
  {
    std::lock_guard lock(m_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void Hub::stop() {
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

void Hub::set_phase(HubPool& p, HubPool::Phase phase) {
  {
    std::lock_guard lock(m_);
    p.phase = phase;
  }
  phase_cv_.notify_all();
}

void Hub::to_agents(Transport& tx, const std::string& frame) {
  for (int r = 1; r <= agents_; ++r) tx.send(r, tag_to_agent, frame);
}

void Hub::to_agents(Transport& tx, FrameType type, std::uint64_t pool) {
  FrameWriter w(type);
  w.u64(pool);
  to_agents(tx, w.finish());
}

void Hub::run() {
  try {
    loop();
  } catch (const std::exception& e) {  // a bug or a corrupt frame: no way to go on
    std::fprintf(stderr, "concur::mpi: rank 0's dispatcher failed: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

// Each round: take what callers queued, complete sends, read frames, let every pool step.
// With tasks or replies out, MPI is polled with a back-off; with nothing out the thread
// blocks on its condition variable until a caller wakes it.
void Hub::loop() {
  Transport tx(runtime().comm, tag_to_root);
  Backoff backoff;
  Pools pools;
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

}  // namespace concur::mpi::detail
