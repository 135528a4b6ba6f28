// Internal to concur::mpi: how long an MPI-owning loop sleeps between polls when nothing
// happened. MPI offers no fd to wait on, and Open MPI's blocking calls spin, so the loops poll
// MPI_Iprobe and sleep in between, longer the longer nothing happens: a few quick rounds, then
// 20 us for 2 ms after the last event (the replies to what was just sent come within that on
// a loaded host: each later poll would add its sleep to a task's round trip), then doubling
// to 1 ms; after a second without anything, 20 ms (an idle agent wakes 50 times a second; a
// task arriving then waits at most that long). Any event resets it.
// Thread safety: one owner.
#pragma once

#include <algorithm>
#include <chrono>

namespace concur::mpi::detail {

class Backoff {
 public:
  void reset() {
    rounds_ = 0;
    idle_since_ = std::chrono::steady_clock::now();
  }
  /// The next sleep.
  std::chrono::microseconds next() {
    using std::chrono::microseconds;
    ++rounds_;
    if (rounds_ <= 3) return microseconds(0);
    const auto idle = std::chrono::steady_clock::now() - idle_since_;
    if (idle > std::chrono::seconds(1)) return microseconds(20'000);
    if (idle < quick) {
      slow_ = 0;
      return microseconds(20);
    }
    const int shift = std::min(++slow_, 6);
    return std::min(microseconds(20 << shift), microseconds(1000));
  }

 private:
  static constexpr auto quick = std::chrono::milliseconds(2);
  int rounds_ = 0, slow_ = 0;
  std::chrono::steady_clock::time_point idle_since_ = std::chrono::steady_clock::now();
};

}  // namespace concur::mpi::detail
