// concur run: the progress bar on stderr — count, percentage, running jobs, ETA —
// redrawn at most 10 times a second on one line, cleared before any other output.
//
//   Progress bar(2, /*enabled=*/isatty(2));
//   bar.update(done, running, total);
//   bar.clear();   // before printing anything else to the terminal
//
// Not thread-safe (the event loop owns it).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace concur::cli::run {

class Progress {
 public:
  Progress(int fd, bool enabled);
  void update(std::size_t done, std::size_t running, std::size_t total, bool force = false);
  void clear();
  bool enabled() const { return enabled_; }

  /// The bar's text (no terminal control), e.g. "[#####-----] 5/10 50% running 2 ETA 0:03".
  static std::string render(std::size_t done, std::size_t running, std::size_t total,
                            double elapsed_s);

 private:
  int fd_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace concur::cli::run
