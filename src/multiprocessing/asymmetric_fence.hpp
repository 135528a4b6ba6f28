// Internal: asymmetric fences between processes (Linux membarrier).
//
// A store-then-load handshake between two parties (Dekker's pattern: "I publish, then look
// whether you wait" against "I register that I wait, then look whether you published") needs a
// full fence on both sides. When one side runs millions of times a second (a queue's put()) and the
// other rarely (a reader about to sleep), the frequent side can use light_fence() — a compiler
// barrier — and the rare side heavy_fence(), a membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) that
// runs a full fence on every CPU now running a thread of a registered process (a thread not
// running has passed one in its context switch). Either the light side's store is seen after the
// heavy fence, or the light side's load (after its store) sees the heavy side's store.
//
// Every process that takes the light side must be registered: enable_light_fences() registers
// this process (once; again after fork(), as registration is per address space) and returns
// whether light fences are compiler barriers here. Without membarrier (old kernel, seccomp), both
// sides are full fences (std::atomic_thread_fence(seq_cst)) and stay correct.
//
// Thread safety: every function is safe from any thread.
#pragma once

#include <atomic>

namespace concur::multiprocessing::detail {

/// Registers this process for expedited global membarriers (first call in each process);
/// true if light_fence(true) is enough in this process.
bool enable_light_fences() noexcept;

/// The frequent side's fence: a compiler barrier when `registered` (enable_light_fences()).
inline void light_fence(bool registered) noexcept {
  if (registered)
    std::atomic_signal_fence(std::memory_order_seq_cst);
  else
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

/// The rare side's fence: a full fence on every CPU running a registered process (a system
/// call, some microseconds), or a local full fence where membarrier is missing.
void heavy_fence() noexcept;

}  // namespace concur::multiprocessing::detail
