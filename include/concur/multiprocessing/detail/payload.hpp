// concur/multiprocessing/detail/payload.hpp — internal: the bytes of one message, small ones
// in memory, big ones in a sealed memfd.
//
// A Payload grows in a std::string until it passes spill_threshold (64 KiB); then it moves to a
// memfd and every later byte is written straight into it (write(2): one copy, no page faults
// in this process). finish() seals the memfd (no shrink, grow or write, ever), so the receiver
// can map it read-only and trust its size: the bytes cross between processes with one copy by
// the sender and none by the receiver, instead of through a socket's buffers. Any sender may
// use it — pool tasks and results, Connection.send, Queue items:
//
//   Payload p;  write_values(p, fds, big_vector);  p.finish();
//   // send p.memfd() beside the frame (SCM_RIGHTS) when p.spilled(), else p.view()'s bytes
//   Payload q = Payload::adopt(std::move(received_fd), size);   // validates seals, maps
//   Reader r(q.view(), fds);
//
// A pool task's body may instead be *recyclable* (set_recyclable(), before the first byte): its
// memfd comes from a small process-wide stock of memfds this process keeps mapped for writing,
// is written through that mapping (no page allocation, no syscall, once the memfd has held that
// many bytes before; a big copy with non-temporal stores) and goes back to the stock when the
// payload is destroyed or cleared. Such a memfd is sealed only against shrinking (the
// receiver's safety: it cannot be made to fault), not against writing; so only a sender that
// knows the receiver is done with the bytes when the payload goes may use it (a pool's task:
// the worker drops its body before it replies).
// A pool worker keeps its mapping of such a memfd between messages (a warm pool maps nothing
// per task; src/multiprocessing/payload_kept.hpp), and the parent punches out the pages of one
// it stops recycling, so a mapping a worker kept of it holds no memory.
//
// Not part of the public API. Thread safety: one owner at a time (a value type); the stock of
// recyclable memfds is thread-safe (lock-free) and is not inherited across fork().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "concur/detail/core/fd.hpp"

namespace concur::multiprocessing::detail {

struct KeptMapping;

class Payload {
 public:
  /// Bodies larger than this travel in a memfd.
  static constexpr std::size_t spill_threshold = 64 * 1024;

  Payload() = default;
  Payload(Payload&& o) noexcept { *this = std::move(o); }
  Payload& operator=(Payload&& o) noexcept {
    if (this != &o) {
      release_file();
      mem_ = std::move(o.mem_);
      o.mem_.clear();
      size_ = std::exchange(o.size_, 0);
      fd_ = std::move(o.fd_);
      sealed_ = std::exchange(o.sealed_, false);
      recyclable_ = o.recyclable_;
      map_ = std::exchange(o.map_, nullptr);
      map_len_ = std::exchange(o.map_len_, 0);
      kept_ = std::exchange(o.kept_, nullptr);
    }
    return *this;
  }
  Payload(const Payload&) = delete;
  Payload& operator=(const Payload&) = delete;
  ~Payload() { release_file(); }

  /// Appends bytes (spilling to a memfd past the threshold). Throws std::system_error.
  void append(const void* data, std::size_t n) {
    if (!fd_ && !sealed_ && size_ + n <= spill_threshold) {  // the common small message
      mem_.append(static_cast<const char*>(data), n);
      size_ += n;
      return;
    }
    append_slow(data, n);
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  /// Room for `n` bytes in memory, so that appending them reallocates nothing (no-op past the
  /// spill threshold, or once spilled).
  void reserve(std::size_t n) {
    if (!fd_ && n <= spill_threshold) mem_.reserve(n);
  }
  /// Empties it (an in-memory payload again; a recyclable memfd goes back to the stock, and the
  /// payload stays recyclable).
  void clear() {
    release_file();
    sealed_ = false;
    mem_.clear();
    size_ = 0;
  }
  /// Makes the memfd this payload spills to a recycled one (see above). Only before the first
  /// append.
  void set_recyclable() { recyclable_ = true; }
  /// Closes the stock of recyclable memfds (a Pool's destructor calls it: the memfds are kept
  /// for reuse while a pool lives). Thread-safe.
  static void drop_recycled() noexcept;
  /// Total bytes.
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// Whether the bytes live in a memfd.
  bool spilled() const { return static_cast<bool>(fd_); }

  /// Writes out the staged bytes and seals the memfd (no-op when not spilled); after it the
  /// payload is read-only. Idempotent. Throws std::system_error.
  void finish() {
    if (fd_ && !sealed_) seal();
  }
  /// The sealed memfd (after finish()), or -1 when the bytes are in memory.
  int memfd() const { return fd_.get(); }

  /// All the bytes: the in-memory string, or a read-only mapping of the memfd (mapped on first
  /// use; valid while the payload lives). Throws std::system_error if mapping fails.
  std::string_view view() const;

  /// A received memfd of `size` bytes: checks that it is sealed against shrinking and holds at
  /// least `size` bytes (else ProcessError: a peer cannot make us fault), then maps it
  /// read-only.
  static Payload adopt(concur::detail::UniqueFd fd, std::size_t size);
  /// Tests: keep the mappings of received recycled memfds in this process too (pool workers
  /// always do), or stop (and unmap the kept ones not in use).
  static void keep_received_mappings(bool on) noexcept;
  /// How many received mappings this process keeps, not counting those in use.
  static std::size_t kept_received_mappings() noexcept;
  /// An in-memory payload holding `bytes`.
  static Payload from_string(std::string bytes);
  /// The in-memory string to fill directly (a receiver's buffer); only when not spilled.
  std::string& buffer() { return mem_; }
  /// Sets size() after filling buffer() directly.
  void set_buffer_size() { size_ = mem_.size(); }

 private:
  void spill();
  void flush_staging();
  void unmap() const;
  /// Recyclable: room for `n` bytes in the memfd and its writable mapping.
  void grow_to(std::size_t n);
  /// Recyclable: gives the memfd and its mapping back to the stock.
  void recycle() noexcept;
  /// Gives up the memfd and its mapping (recycled, kept or unmapped): a no-op, inline, for
  /// the in-memory payloads of small messages.
  void release_file() noexcept {
    if (fd_ || map_ != nullptr) release_file_slow();
  }
  void release_file_slow() noexcept;
  void append_slow(const void* data, std::size_t n);
  void seal();

  std::string mem_;  // in memory: all the bytes; spilled: the staging buffer (not recyclable)
  std::size_t size_ = 0;
  concur::detail::UniqueFd fd_;
  bool sealed_ = false;
  bool recyclable_ = false;
  mutable const char* map_ = nullptr;
  mutable std::size_t map_len_ = 0;  // recyclable: the memfd's size, all of it mapped writable
  // Received: map_ belongs to this kept mapping (given back to the cache, not unmapped).
  mutable KeptMapping* kept_ = nullptr;
};

}  // namespace concur::multiprocessing::detail
