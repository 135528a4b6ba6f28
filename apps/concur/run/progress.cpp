#include "progress.hpp"

#include <fmt/format.h>

#include "capture.hpp"

namespace concur::cli::run {

Progress::Progress(int fd, bool enabled)
    : fd_(fd), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

std::string Progress::render(std::size_t done, std::size_t running, std::size_t total,
                             double elapsed_s) {
  constexpr int width = 24;
  const double frac = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '-');
  std::string eta = "?";
  if (done > 0 && done < total) {
    const auto left = static_cast<long long>(elapsed_s / static_cast<double>(done) *
                                             static_cast<double>(total - done));
    eta = fmt::format("{}:{:02}", left / 60, left % 60);
  } else if (done >= total) {
    eta = "0:00";
  }
  return fmt::format("[{}] {}/{} {}% running {} ETA {}", bar, done, total,
                     static_cast<int>(frac * 100), running, eta);
}

void Progress::update(std::size_t done, std::size_t running, std::size_t total, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && shown_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  write_all(fd_, "\r\033[K" + render(done, running, total, elapsed));
  shown_ = true;
}

void Progress::clear() {
  if (!enabled_ || !shown_) return;
  write_all(fd_, "\r\033[K");
  shown_ = false;
}

}  // namespace concur::cli::run
