#include "progress.hpp"

#include <sys/ioctl.h>

#include <fmt/format.h>

#include <algorithm>

#include "capture.hpp"

namespace concur::cli::run {
namespace {

constexpr int kMinViewWidth = 60;

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(std::max(0.0, seconds) + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

// Job text shown on a terminal: no control bytes, at most `width` bytes (UTF-8 kept whole).
std::string fit(const std::string& s, std::size_t width) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c;
  }
  if (out.size() <= width) return out;
  std::size_t cut = width > 3 ? width - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  return out.substr(0, cut) + "...";
}

}  // namespace

Progress::Progress(int fd, bool enabled) : fd_(fd), enabled_(enabled) {}

std::string Progress::render(std::size_t done, std::size_t running, std::size_t total,
                             double elapsed_s, std::optional<double> eta_s) {
  constexpr int width = 24;
  const double frac = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '-');
  std::string eta = "?";
  if (done >= total)
    eta = "0:00";
  else if (eta_s)
    eta = clock_text(*eta_s);
  else if (done > 0)
    eta = clock_text(elapsed_s / static_cast<double>(done) * static_cast<double>(total - done));
  return fmt::format("[{}] {}/{} {}% running {} ETA {}", bar, done, total,
                     static_cast<int>(frac * 100), running, eta);
}

std::vector<std::string> Progress::render_view(const Snapshot& s, int width, int rows) {
  const auto w = static_cast<std::size_t>(std::max(1, width - 1));
  std::string head = render(s.done, s.running.size(), s.total, s.elapsed_s, s.eta_s);
  head += fmt::format(" | {} passed, {} failed", s.passed, s.failed);
  if (s.flaky > 0) head += fmt::format(", {} flaky", s.flaky);
  std::vector<std::string> lines = {fit(head, w)};
  std::vector<Snapshot::Running> running = s.running;
  std::sort(running.begin(), running.end(),
            [](const auto& a, const auto& b) { return a.elapsed_s > b.elapsed_s; });
  const std::size_t room = static_cast<std::size_t>(std::clamp(rows - 2, 1, 12));
  for (std::size_t i = 0; i < running.size(); ++i) {
    if (i + 1 == room && running.size() > room) {
      lines.push_back(fmt::format("  ... and {} more running", running.size() - i));
      break;
    }
    const JobResult& j = *running[i].job;
    lines.push_back(fit(fmt::format("  {:>8} {}{}", clock_text(running[i].elapsed_s),
                                    j.slow ? "SLOW " : "", j.name),
                        w));
  }
  return lines;
}

void Progress::update(const Snapshot& s, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && shown_lines_ > 0 && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  winsize ws{};
  const bool sized = ::ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0;
  std::vector<std::string> lines;
  if (sized && ws.ws_col >= kMinViewWidth)
    lines = render_view(s, ws.ws_col, ws.ws_row > 0 ? ws.ws_row : 24);
  else
    lines = {render(s.done, s.running.size(), s.total, s.elapsed_s, s.eta_s)};
  std::string frame;
  for (int k = 1; k < shown_lines_; ++k) frame += "\033[A";  // back to the frame's first line
  frame += shown_lines_ > 1 ? "\r\033[J" : "\r\033[K";
  for (std::size_t i = 0; i < lines.size(); ++i) frame += (i > 0 ? "\n" : "") + lines[i];
  write_all(fd_, frame);
  shown_lines_ = static_cast<int>(lines.size());
}

void Progress::clear() {
  if (!enabled_ || shown_lines_ == 0) return;
  std::string frame;
  for (int k = 1; k < shown_lines_; ++k) frame += "\033[A";
  frame += shown_lines_ > 1 ? "\r\033[J" : "\r\033[K";
  write_all(fd_, frame);
  shown_lines_ = 0;
}

}  // namespace concur::cli::run
