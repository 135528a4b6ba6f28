// Internal: the right to push into a multiprocessing queue's ring — the lease of one thread, or
// the robust put_lock in shared mode (queue_impl.hpp says why and how the modes change).
//
// Thread safety: one PushRight per pushing thread at a time; PushRights of any threads and
// processes exclude each other.
#pragma once

#include <cstdint>

#include "multiprocessing/queue_impl.hpp"

namespace concur::multiprocessing::detail {

/// After this many pushes in a row by one thread in shared mode, that thread takes the lease.
inline constexpr std::uint32_t kLeaseAfter = 64;
/// Off for now: revocation has an ABA hole. A completer that waited for `busy` and then stalled
/// can, with its final CAS (marked holder -> shared), end a *later* revocation of the same holder
/// (which took the lease back meanwhile) before that one waited for `busy` — a shared-mode push
/// then runs beside the holder's. TSan caught it once in CI (three producers). Until the mark
/// names its revocation (or only the marker completes it, with dead-marker takeover), every push
/// takes put_lock.
inline constexpr bool kLeaseEnabled = false;

class PushRight {
 public:
  /// Waits for the right to push (while another thread pushes, or a revoked holder finishes).
  /// `light`: enable_light_fences() of this process.
  PushRight(QueueShared& s, bool light);
  ~PushRight() { release(); }
  PushRight(const PushRight&) = delete;
  PushRight& operator=(const PushRight&) = delete;
  /// Gives the right up (once; the destructor does it otherwise).
  void release() noexcept;

 private:
  void revoke(std::uint64_t holder);
  void wait_while_busy();

  QueueShared& s_;
  const std::uint64_t me_;
  const bool light_;
  bool leased_ = false;
  bool held_ = false;
};

}  // namespace concur::multiprocessing::detail
