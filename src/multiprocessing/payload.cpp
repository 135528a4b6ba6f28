// Payload: in memory up to 64 KiB, then a memfd written with write(2) and sealed, mapped
// read-only by the receiver (or a recycled memfd written through a mapping kept for it). Seals
// make a received memfd safe to map: the sender cannot shrink it (a SIGBUS on our reads); a
// one-use memfd is also sealed against writing and growing.
#include "concur/multiprocessing/detail/payload.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "concur/detail/core/error.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "multiprocessing/payload_copy.hpp"
#include "multiprocessing/payload_kept.hpp"
#include "multiprocessing/registry.hpp"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace concur::multiprocessing::detail {
namespace {

// What a receiver requires: the sender cannot shrink the file under its mapping.
constexpr unsigned required_seals = F_SEAL_SHRINK;
// What a one-use payload gets: nothing about it can change any more.
constexpr unsigned final_seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
// What a recycled memfd gets, once: it may still grow and be written by us, but no receiver can
// add a seal (F_SEAL_GROW or F_SEAL_WRITE would make our next message through it fail).
constexpr unsigned recycled_seals = F_SEAL_SHRINK | F_SEAL_SEAL;
constexpr std::size_t staging_size = 256 * 1024;

// The stock of recyclable memfds: a few slots, taken and given back with one atomic exchange
// (no lock: safe whatever another thread holds at a fork). A forked child never uses its
// parent's (`owner`): the fds are closed in it (registered parent fds) and the mappings not
// inherited (MADV_DONTFORK); a slot that holds one there is simply dropped.
struct Spare {
  int fd;
  char* map;
  std::size_t len;
  pid_t owner;
};
constexpr std::size_t spare_slots = 4;          // two parts in flight per worker of a 2-pool
constexpr std::size_t spare_max = kept_max;     // a bigger memfd is not kept
constexpr std::size_t grow_quantum = 2u << 20;  // sizes are rounded up to 2 MiB
std::atomic<Spare*> spares[spare_slots];

// A recycled memfd we stop recycling: its pages are freed now, not when the last mapping of
// it goes (a worker may keep one: payload_kept.hpp), and it is closed.
void retire_memfd(int fd, std::size_t len) noexcept {
  ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(len));
  unregister_parent_fd(fd);
  ::close(fd);
}

void destroy(Spare* s) noexcept {
  ::munmap(s->map, s->len);
  if (s->owner == ::getpid()) {
    retire_memfd(s->fd, s->len);
  } else {
    ::close(s->fd);
  }
  delete s;
}

Spare* take_spare() noexcept {
  const pid_t me = ::getpid();
  for (auto& slot : spares) {
    Spare* s = slot.exchange(nullptr, std::memory_order_acq_rel);
    if (s == nullptr) continue;
    if (s->owner == me) return s;
    delete s;  // a copy inherited by fork(): its fd is closed and its mapping absent here
  }
  return nullptr;
}

void give_spare(Spare* s) noexcept {
  if (s->len <= spare_max) {
    for (auto& slot : spares) {
      Spare* empty = nullptr;
      if (slot.compare_exchange_strong(empty, s, std::memory_order_acq_rel)) return;
    }
  }
  destroy(s);
}

concur::detail::UniqueFd new_memfd() {
  const int fd = ::memfd_create("concur-message", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) concur::detail::throw_errno("concur::multiprocessing: memfd_create");
  return concur::detail::UniqueFd(fd);
}

void pwrite_all(int fd, const char* p, std::size_t n, std::size_t at) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(at));
    if (w < 0) {
      if (errno == EINTR) continue;
      concur::detail::throw_errno("concur::multiprocessing: write(memfd)");
    }
    p += w;
    at += static_cast<std::size_t>(w);
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

void Payload::release_file_slow() noexcept {
  recycle();
  unmap();
  fd_.reset();
}

void Payload::unmap() const {
  if (kept_ != nullptr) {
    give_kept(std::exchange(kept_, nullptr));
  } else if (map_ != nullptr) {
    ::munmap(const_cast<char*>(map_), map_len_);
  }
  map_ = nullptr;
  map_len_ = 0;
}

void Payload::drop_recycled() noexcept {
  while (Spare* s = take_spare()) destroy(s);  // take_spare() drops those inherited by fork()
}

void Payload::recycle() noexcept {
  if (!recyclable_ || !fd_) return;
  Spare* s = map_ == nullptr ? nullptr
                             : new (std::nothrow)
                                   Spare{fd_.get(), const_cast<char*>(map_), map_len_, ::getpid()};
  if (s == nullptr) {  // not kept: unmap() releases the mapping
    retire_memfd(fd_.release(), map_len_);
    return;
  }
  fd_.release();
  map_ = nullptr;
  map_len_ = 0;
  give_spare(s);
}

void Payload::grow_to(std::size_t n) {
  if (n <= map_len_) return;
  const std::size_t len =
      (std::max(n, map_len_ * 2) + grow_quantum - 1) / grow_quantum * grow_quantum;
  if (::ftruncate(fd_.get(), static_cast<off_t>(len)) < 0)
    concur::detail::throw_errno("concur::multiprocessing: ftruncate(memfd)");
  void* p = map_ == nullptr ? ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0)
                            : ::mremap(const_cast<char*>(map_), map_len_, len, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) concur::detail::throw_errno("concur::multiprocessing: mmap(memfd)");
  ::madvise(p, len, MADV_DONTFORK);  // a child forked meanwhile gets none of it
  // The new pages, allocated in one call rather than one page fault per 4 KiB (best effort).
  ::madvise(static_cast<char*>(p) + map_len_, len - map_len_, MADV_POPULATE_WRITE);
  map_ = static_cast<const char*>(p);
  map_len_ = len;
}

void Payload::spill() {
  if (recyclable_) {
    if (Spare* s = take_spare()) {
      fd_.reset(s->fd);
      map_ = s->map;
      map_len_ = s->len;
      delete s;
    } else {
      fd_ = new_memfd();
      register_parent_fd(fd_.get());  // a child forked later closes it
    }
    grow_to(std::max(mem_.size(), spill_threshold));
    std::memcpy(const_cast<char*>(map_), mem_.data(), mem_.size());
    std::string().swap(mem_);
    return;
  }
  fd_ = new_memfd();
  pwrite_all(fd_.get(), mem_.data(), mem_.size(), 0);
  mem_.clear();
  mem_.reserve(staging_size);
}

void Payload::flush_staging() {
  pwrite_all(fd_.get(), mem_.data(), mem_.size(), size_ - mem_.size());
  mem_.clear();
}

void Payload::append_slow(const void* data, std::size_t n) {
  if (sealed_) throw ProcessError("concur::multiprocessing: append to a finished payload");
  const char* p = static_cast<const char*>(data);
  if (!fd_) {
    if (size_ + n <= spill_threshold) {
      mem_.append(p, n);
      size_ += n;
      return;
    }
    spill();
  }
  if (recyclable_) {
    grow_to(size_ + n);
    stream_copy(const_cast<char*>(map_) + size_, p, n);  // a big one bypasses the cache
    size_ += n;
    return;
  }
  if (mem_.size() + n <= staging_size) {
    mem_.append(p, n);
    size_ += n;
    return;
  }
  flush_staging();
  if (n >= staging_size) {
    pwrite_all(fd_.get(), p, n, size_);
  } else {
    mem_.append(p, n);
  }
  size_ += n;
}

void Payload::seal() {
  if (!recyclable_) flush_staging();
  // A recycled memfd stays writable (and growable) for its next message: it can only grow.
  // Its seals are added on its first use; F_SEAL_SEAL refuses adding them again.
  if (recyclable_) {
    const int seals = ::fcntl(fd_.get(), F_GET_SEALS);
    if (seals < 0) concur::detail::throw_errno("concur::multiprocessing: fcntl(F_GET_SEALS)");
    if ((static_cast<unsigned>(seals) & recycled_seals) != recycled_seals &&
        ::fcntl(fd_.get(), F_ADD_SEALS, recycled_seals) < 0)
      concur::detail::throw_errno("concur::multiprocessing: fcntl(F_ADD_SEALS)");
  } else if (::fcntl(fd_.get(), F_ADD_SEALS, final_seals) < 0) {
    concur::detail::throw_errno("concur::multiprocessing: fcntl(F_ADD_SEALS)");
  }
  sealed_ = true;
}

std::string_view Payload::view() const {
  if (!fd_) return mem_;
  if (size_ == 0) return {};
  if (map_ == nullptr) {
    if (!sealed_) throw ProcessError("concur::multiprocessing: payload read before finish()");
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED | MAP_POPULATE, fd_.get(), 0);
    if (p == MAP_FAILED) concur::detail::throw_errno("concur::multiprocessing: mmap(memfd)");
    map_ = static_cast<const char*>(p);
    map_len_ = size_;
  }
  return {map_, size_};
}

Payload Payload::adopt(concur::detail::UniqueFd fd, std::size_t size) {
  const int seals = ::fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0 || (static_cast<unsigned>(seals) & required_seals) != required_seals)
    throw ProcessError("concur::multiprocessing: a message body arrived in an unsealed file");
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) concur::detail::throw_errno("concur::multiprocessing: fstat");
  if (st.st_size < 0 || static_cast<std::size_t>(st.st_size) < size)
    throw ProcessError("concur::multiprocessing: a message body is shorter than its header says");
  Payload p;
  p.fd_ = std::move(fd);
  p.size_ = size;
  p.sealed_ = true;
  if (size > 0 && may_keep(static_cast<unsigned>(seals), st)) {
    // A recycled memfd (a pool's task body): its mapping is kept for its next message.
    p.kept_ = take_kept(p.fd_.get(), st, size);
    p.map_ = kept_data(p.kept_);
    return p;
  }
  p.view();  // map now: failures surface here, not in a decoder
  return p;
}

void Payload::keep_received_mappings(bool on) noexcept {
  set_keep_everywhere(on);
  if (!on) drop_kept();
}

std::size_t Payload::kept_received_mappings() noexcept { return kept_count(); }

Payload Payload::from_string(std::string bytes) {
  Payload p;
  if (bytes.size() > spill_threshold) {
    p.append(bytes.data(), bytes.size());
    p.finish();
    return p;
  }
  p.size_ = bytes.size();
  p.mem_ = std::move(bytes);
  return p;
}

}  // namespace concur::multiprocessing::detail
