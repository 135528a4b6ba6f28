// concur run: one stream of a job's output, kept in memory up to a threshold and
// spilled to an anonymous temporary file beyond it, so memory stays bounded
// whatever the job prints. A tail of the last bytes is always kept in memory for
// summaries and reports.
//
//   Capture c(/*memory_limit=*/1 << 20);
//   c.append(data, n);                 // may spill: throws std::system_error on I/O failure
//   c.replay([](std::string_view chunk) { ... });   // everything, in order
//
// Not thread-safe (one event loop owns it). Move-only: owns the spill fd.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace concur::cli::run {

class Capture {
 public:
  static constexpr std::size_t kDefaultLimit = std::size_t{1} << 20;
  static constexpr std::size_t kTailBytes = 16 * 1024;

  explicit Capture(std::size_t memory_limit = kDefaultLimit, bool keep = true)
      : limit_(memory_limit), keep_(keep) {}
  Capture(Capture&& other) noexcept;
  Capture& operator=(Capture&& other) noexcept;
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;
  ~Capture();

  void append(const char* data, std::size_t n);
  std::size_t size() const { return size_; }
  /// Whether replay() gives every byte (false: only the tail is kept).
  bool keeps_all() const { return keep_; }
  bool spilled() const { return fd_ >= 0; }
  /// The last kTailBytes (or fewer) bytes.
  std::string tail() const;
  /// The last `lines` lines of the tail.
  std::string tail_lines(std::size_t lines) const;
  /// Calls `sink` with every kept byte, in order, in chunks. Throws std::system_error.
  void replay(const std::function<void(std::string_view)>& sink) const;
  /// Bytes held in memory (0 once spilled).
  std::size_t memory_bytes() const { return mem_.size(); }
  /// Moves what is in memory to the spill file now (held outputs under --keep-order).
  void spill_now() {
    if (fd_ < 0 && keep_ && !mem_.empty()) spill();
  }
  /// Frees memory and the spill file.
  void clear();

 private:
  void spill();
  std::size_t limit_;
  bool keep_;  // false: only the tail is kept
  std::string mem_;
  std::string tail_;
  std::size_t size_ = 0;
  int fd_ = -1;
};

/// Writes all of `data` to `fd` (EINTR and short writes handled). Returns false on error.
bool write_all(int fd, std::string_view data);

}  // namespace concur::cli::run
