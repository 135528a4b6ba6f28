// concur run: the live view on stderr. On a terminal at least 60 columns wide: a status
// line (bar, counts, ETA — from the history when there is one) and below it the running
// jobs, longest-running first, with their elapsed times (SLOW marked); on a narrower (or
// unknown-width) terminal, the one progress line; nothing when disabled (stderr is not a
// terminal, unless --progress). Redrawn at most 10 times a second, cleared before any
// other output.
//
//   Progress view(2, /*enabled=*/isatty(2));
//   view.update(snapshot);
//   view.clear();   // before printing anything else to the terminal
//
// Not thread-safe (the event loop owns it).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "scheduler.hpp"

namespace concur::cli::run {

class Progress {
 public:
  Progress(int fd, bool enabled);
  void update(const Snapshot& s, bool force = false);
  void clear();
  bool enabled() const { return enabled_; }

  /// The one-line form (no terminal control), e.g.
  /// "[#####-----] 5/10 50% running 2 ETA 0:03"; `eta_s` replaces the estimate from the rate.
  static std::string render(std::size_t done, std::size_t running, std::size_t total,
                            double elapsed_s, std::optional<double> eta_s = std::nullopt);
  /// The live view's lines for a terminal `width` x `rows` (each line shorter than width).
  static std::vector<std::string> render_view(const Snapshot& s, int width, int rows);

 private:
  int fd_;
  bool enabled_;
  int shown_lines_ = 0;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace concur::cli::run
