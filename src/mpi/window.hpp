// Internal to concur::mpi: how many tasks rank 0 keeps in flight on one agent.
//
// Too few, and the agent's workers idle while results and new tasks travel (a round trip
// through two MPI-polling loops: tens of µs to a millisecond on an oversubscribed host); too
// many, and tasks wait on a busy rank while another idles, and shutdown(cancel_futures) finds
// them already sent. So the window follows the rank's measured throughput (tasks back per
// second while it had work, sampled over at least 100 µs): about `ahead` worth of its work
// (10 ms), never below 4 tasks per worker, never above 4096. Tiny tasks (a hundred thousand a
// second) get a deep window after their first results; 10 ms tasks keep the floor. While the
// window is what limits the rate, a sample measures window / round trip, so the window grows
// by ahead / round trip per sample: 10 ms (not less) lets it outgrow a round trip of a few ms
// on a loaded host within a few samples (a 100-chunk map then goes out in one batch).
// Thread safety: none (the hub thread's).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace concur::mpi::detail {

class Window {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto sample = std::chrono::microseconds(100);
  static constexpr auto ahead = std::chrono::milliseconds(10);
  static constexpr unsigned cap = 4096;

  Window() : Window(0) {}
  explicit Window(unsigned workers) : floor_(std::max(4u, 4 * workers)), size_(floor_) {}

  /// Tasks in flight at most.
  unsigned size() const { return size_; }

  /// The rank had nothing in flight and gets work again: a new measurement starts (idle time
  /// is not the rank's slowness).
  void resume(Clock::time_point now) {
    start_ = now;
    done_ = 0;
  }

  /// `n` tasks came back at `now`; once per sample the size follows the measured rate.
  void completed(std::uint64_t n, Clock::time_point now) {
    done_ += n;
    const auto elapsed = now - start_;
    if (elapsed < sample) return;
    const double per_second =
        static_cast<double>(done_) / std::chrono::duration<double>(elapsed).count();
    const double want = per_second * std::chrono::duration<double>(ahead).count();
    size_ = static_cast<unsigned>(std::clamp(want, static_cast<double>(floor_), double{cap}));
    resume(now);
  }

 private:
  unsigned floor_;
  unsigned size_;
  Clock::time_point start_ = Clock::now();
  std::uint64_t done_ = 0;
};

}  // namespace concur::mpi::detail
