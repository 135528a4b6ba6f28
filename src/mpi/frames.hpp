// Internal to concur::mpi: the frames rank 0 and the agents exchange, and their byte layout.
//
// A frame is a 16-byte header (u32 type, u32 zero, u64 total length including the header)
// and fields in native byte order (every rank runs the same build on the same architecture:
// init() checks the build-id). Everything read is bounds-checked: a malformed frame throws
// ProcessError, never reads past its end. Layouts (after the header):
//   open      u64 pool, u32 workers, u32 max_tasks, u64 has_init, [call]
//   tasks     u64 pool, u64 n, n x (u64 id, call)
//   close / terminate / closed   u64 pool
//   exit      (nothing)
//   modules   u64 first, u64 n, n x bytes
//   bundle    u64 slot, u64 n, n x call (addresses mapped: it stays on the agent's host)
//   bundle_done  u64 run, u32 overflow, [u32 kind, u64 count, bytes]  (see bundle.cpp)
//   opened    u64 pool, u32 workers, u32 ok, bytes error
//   results   u64 pool, u64 n, n x (u64 id, u32 state, u32 flags (1: the pool is broken), i64
//   exitcode,
//             u64 count, bytes)
// where call = u64 trampoline, u64 fn (image offsets, see multiprocessing/image.hpp),
// u64 count, bytes body; bytes = u64 length + the bytes.
// Thread safety: value types.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "concur/multiprocessing/errors.hpp"

namespace concur::mpi::detail {

enum class FrameType : std::uint32_t {
  open = 1,
  tasks = 2,
  close = 3,
  terminate = 4,
  exit = 5,
  modules = 6,
  bundle = 7,  // an agent to its own workers (bundle.hpp), never over MPI
  opened = 11,
  results = 12,
  closed = 13,
  bundle_done = 14,  // a worker's reply to a bundle
};

inline constexpr std::size_t header_size = 16;

/// Builds one frame.
class FrameWriter {
 public:
  explicit FrameWriter(FrameType type) {
    u32(static_cast<std::uint32_t>(type));
    u32(0);
    u64(0);  // total, set by finish()
  }
  void u32(std::uint32_t v) { raw(&v, sizeof v); }
  void u64(std::uint64_t v) { raw(&v, sizeof v); }
  void i64(std::int64_t v) { raw(&v, sizeof v); }
  void bytes(std::string_view b) {
    u64(b.size());
    s_.append(b.data(), b.size());
  }
  std::size_t size() const { return s_.size(); }
  /// Makes room for a frame of `bytes` in all.
  void reserve(std::size_t bytes) { s_.reserve(bytes); }
  /// Overwrites the u64 at byte `at` (a count known only after the items were written).
  void patch_u64(std::size_t at, std::uint64_t v) { std::memcpy(s_.data() + at, &v, sizeof v); }
  /// The finished frame (the total length filled in).
  std::string finish() {
    const std::uint64_t total = s_.size();
    std::memcpy(s_.data() + 8, &total, sizeof total);
    return std::move(s_);
  }

 private:
  void raw(const void* p, std::size_t n) { s_.append(static_cast<const char*>(p), n); }
  std::string s_;
};

/// Reads one received frame; throws ProcessError when a field runs past the end.
class FrameReader {
 public:
  explicit FrameReader(std::string_view frame) : s_(frame) {
    need(header_size);
    type_ = static_cast<FrameType>(u32());
    u32();
    if (u64() != frame.size()) bad();
  }
  FrameType type() const { return type_; }
  std::uint32_t u32() { return get<std::uint32_t>(); }
  std::uint64_t u64() { return get<std::uint64_t>(); }
  std::int64_t i64() { return get<std::int64_t>(); }
  std::string_view bytes() {
    const std::uint64_t n = u64();
    if (n > s_.size() - pos_) bad();
    const std::string_view v = s_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  /// A count of items that each take at least `min_bytes`: refused when the frame cannot hold
  /// that many (no allocation sized by an untrusted number).
  std::uint64_t count(std::size_t min_bytes) {
    const std::uint64_t n = u64();
    if (n > (s_.size() - pos_) / min_bytes) bad();
    return n;
  }

 private:
  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, s_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  void need(std::size_t n) const {
    if (n > s_.size() - pos_) bad();
  }
  [[noreturn]] static void bad() {
    throw multiprocessing::ProcessError("concur::mpi: malformed frame from another rank");
  }
  std::string_view s_;
  std::size_t pos_ = 0;
  FrameType type_{};
};

}  // namespace concur::mpi::detail
