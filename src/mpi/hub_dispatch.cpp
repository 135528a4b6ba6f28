// Rank 0's hub moving tasks: batches of tasks to the agents (each kept within its window),
// tasks to the local pool (use_rank0), outcomes back to the tasks' sinks. See hub_impl.hpp.
#include <algorithm>
#include <chrono>
#include <string>

#include "mpi/hub_impl.hpp"
#include "mpi/outcome_wire.hpp"
#include "multiprocessing/image.hpp"

namespace concur::mpi::detail {

namespace mp = concur::multiprocessing;
using mp::detail::Outcome;
using mp::detail::Task;

namespace {

// A batch frame is sent once it holds this many bytes (bigger tasks go alone).
constexpr std::size_t batch_bytes = std::size_t{4} << 20;

Outcome local_failure(const std::string& what) {
  Outcome o;
  o.state = Outcome::State::local;
  o.local = std::make_exception_ptr(mp::ProcessError(what));
  return o;
}

// The local pool's sink wrapper: counts the task as back, wakes the hub.
class LocalSink final : public mp::detail::TaskSink {
 public:
  LocalSink(Task& t, std::shared_ptr<std::atomic<unsigned>> count, Hub& hub)
      : inner_(std::move(t.sink)), index_(t.index), count_(std::move(count)), hub_(hub) {}
  void complete(std::size_t, Outcome&& o) override {
    inner_->complete(index_, std::move(o));
    count_->fetch_sub(1);
    hub_.wake();
  }

 private:
  std::shared_ptr<mp::detail::TaskSink> inner_;
  std::size_t index_;
  std::shared_ptr<std::atomic<unsigned>> count_;
  Hub& hub_;
};

// The tasks frame being filled for one agent.
struct Batch {
  std::optional<FrameWriter> w;
  std::size_t count_at = 0;
  std::uint64_t n = 0;
};

}  // namespace

void Hub::on_frame(const Received& r, Pools& pools) {
  FrameReader f(r.frame);
  if (r.source < 1 || r.source > agents_) return;
  const std::uint64_t id = f.u64();
  HubPool* p = nullptr;
  for (auto& q : pools)
    if (q->id == id) p = q.get();
  if (p == nullptr) return;  // a pool already gone (a terminated pool's late outcomes)
  Target& from = p->targets[static_cast<std::size_t>(r.source - 1)];
  switch (f.type()) {
    case FrameType::opened:
      on_opened(*p, from, r.source, f);
      break;
    case FrameType::results:
      on_results(*p, from, r.source, f);
      break;
    case FrameType::closed:
      if (p->awaiting > 0) --p->awaiting;
      break;
    default:
      break;
  }
}

void Hub::on_results(HubPool& p, Target& from, int rank, FrameReader& f) {
  const std::uint64_t n = f.count(40);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t id = 0;
    Outcome o = read_outcome(f, id, rank);
    if (o.pool_broken) note_broken(p, o);
    auto it = p.inflight.find(id);
    if (it == p.inflight.end()) continue;
    Task t = std::move(it->second);
    p.inflight.erase(it);
    --from.inflight;
    finish(std::move(t), std::move(o));
  }
  from.window.completed(n, Window::Clock::now());
}

// An initializer failed on a rank: the pool is broken (futures::BrokenProcessPool).
void Hub::note_broken(HubPool& p, const Outcome& o) {
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

std::optional<Task> Hub::next_task(HubPool& p) {
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

void Hub::to_local(HubPool& p, Task&& t) {
  t.sink = std::make_shared<LocalSink>(t, p.local_inflight, *this);
  t.index = 0;
  p.local_inflight->fetch_add(1);
  std::vector<Task> one;
  one.push_back(std::move(t));
  try {
    p.local->submit(std::move(one));
  } catch (const std::exception&) {  // closed meanwhile: the sink never completes
    p.local_inflight->fetch_sub(1);
  }
}

// Sends tasks while some target has room, each to the least loaded; true if any went.
bool Hub::dispatch(HubPool& p, Transport& tx) {
  std::vector<Batch> batches(p.targets.size());
  bool worked = false;
  struct {  // the last task's code addresses, encoded
    std::uintptr_t trampoline = 0, fn = 0;
    std::pair<std::uint64_t, std::uint64_t> code{0, 0};
  } last;
  auto flush = [&](std::size_t i) {
    Batch& b = batches[i];
    if (!b.w) return;
    b.w->patch_u64(b.count_at, b.n);
    send_modules(tx);
    tx.send(static_cast<int>(i) + 1, tag_to_agent, b.w->finish());
    b = Batch{};
  };
  for (;;) {
    // The least loaded target (tasks in flight per worker) that has room.
    int best = -1;
    double best_load = 0;
    for (std::size_t i = 0; i < p.targets.size(); ++i) {
      const Target& t = p.targets[i];
      const double load = static_cast<double>(t.inflight) / std::max(1u, t.workers);
      if (t.room() > 0 && (best < 0 || load < best_load)) {
        best_load = load;
        best = static_cast<int>(i);
      }
    }
    bool local = false;
    if (p.local) {
      const unsigned busy = p.local_inflight->load();
      const double load = static_cast<double>(busy) / std::max(1u, p.local->processes());
      local = busy < p.local_window && (best < 0 || load < best_load);
    }
    if (best < 0 && !local) break;
    auto t = next_task(p);
    if (!t) break;
    worked = true;
    if (!t->sink->start(t->index)) continue;  // cancelled while queued: never runs
    if (local) {
      to_local(p, std::move(*t));
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
    try {
      if (m.trampoline != last.trampoline || m.fn != last.fn) {  // a map's tasks share them
        last.code = {mp::detail::encode_code_address(m.trampoline),
                     mp::detail::encode_code_address(m.fn)};
        last.trampoline = m.trampoline;
        last.fn = m.fn;
      }
    } catch (const std::exception& e) {
      last = {};
      finish(std::move(*t), local_failure(e.what()));
      continue;
    }
    const auto [trampoline, fn] = last.code;
    const auto i = static_cast<std::size_t>(best);
    Target& target = p.targets[i];
    Batch& b = batches[i];
    if (!b.w) {
      b.w.emplace(FrameType::tasks);
      b.w->reserve(std::min(batch_bytes, std::size_t{target.room() + 1} * (m.body.size() + 48)));
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
    if (target.inflight++ == 0) target.window.resume(Window::Clock::now());
    p.inflight.emplace(id, std::move(*t));
    if (b.w->size() >= batch_bytes) flush(i);
  }
  for (std::size_t i = 0; i < batches.size(); ++i) flush(i);
  return worked;
}

}  // namespace concur::mpi::detail
