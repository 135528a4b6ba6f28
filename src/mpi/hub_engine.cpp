// The PoolEngine under MPIPoolExecutor and mpi::Pool on rank 0 of a launched job: every member
// queues work or a state change for the hub thread and wakes it (see hub_impl.hpp), or waits
// for the pool's phase; and rank 0's exit (hub_exit).
#include <stdexcept>

#include "mpi/hub.hpp"
#include "mpi/hub_impl.hpp"
#include "mpi/runtime.hpp"

namespace concur::mpi::detail {
namespace {

namespace mp = concur::multiprocessing;
using mp::detail::Task;
using mp::detail::TaskSource;

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
