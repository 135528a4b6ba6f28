// Asymmetric fences: see asymmetric_fence.hpp.
#include "multiprocessing/asymmetric_fence.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "multiprocessing/robust.hpp"

namespace concur::multiprocessing::detail {
namespace {

long membarrier(int cmd) noexcept { return ::syscall(SYS_membarrier, cmd, 0, 0); }

// Whether the kernel has expedited global membarriers (the same answer in every process).
bool global_expedited_supported() noexcept {
  static const bool ok = [] {
    const long cmds = membarrier(MEMBARRIER_CMD_QUERY);
    return cmds > 0 && (cmds & MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0 &&
           (cmds & MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != 0;
  }();
  return ok;
}

// The pid that registered (0: none; a forked child sees its parent's pid and registers again),
// or -pid where registering failed.
std::atomic<pid_t> g_registered{0};

}  // namespace

bool enable_light_fences() noexcept {
  const pid_t me = self_pid();
  const pid_t r = g_registered.load(std::memory_order_acquire);
  if (r == me) return true;
  if (r == -me) return false;
  const bool ok =
      global_expedited_supported() && membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
  g_registered.store(ok ? me : -me, std::memory_order_release);
  return ok;
}

void heavy_fence() noexcept {
  // Issuing needs no registration; the processes it must reach have registered.
  if (!global_expedited_supported() || membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0)
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace concur::multiprocessing::detail
