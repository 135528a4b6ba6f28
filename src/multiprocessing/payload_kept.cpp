// A receiver's cache of mappings of recycled memfds (payload_kept.hpp says why it is safe).
#include "multiprocessing/payload_kept.hpp"

#include <fcntl.h>
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

#include "concur/detail/core/error.hpp"
#include "multiprocessing/registry.hpp"

namespace concur::multiprocessing::detail {

struct KeptMapping {
  dev_t dev;
  ino_t ino;
  char* map;
  std::size_t len;
  std::uint64_t used;  // when last given back: the least recently used goes first
};

namespace {

// Guarded by registry_mutex(). Leaked on purpose (used after fork, and by static destructors'
// payloads).
struct Cache {
  std::array<KeptMapping*, kept_slots> slots{};
  std::uint64_t clock = 0;
};
Cache& cache() {
  static auto* c = new Cache;
  return *c;
}
std::atomic<bool> keep_everywhere{false};

void unmap(KeptMapping* k) noexcept {
  ::munmap(k->map, k->len);
  delete k;
}

// Maps `len` bytes of `fd` read-only, every page at once (one call, not a fault per 4 KiB).
char* map_file(int fd, std::size_t len) {
  void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) concur::detail::throw_errno("concur::multiprocessing: mmap(memfd)");
  return static_cast<char*>(p);
}

}  // namespace

bool may_keep(unsigned seals, const struct stat& st) {
  // Recycled: sealed against shrinking and against new seals, not against writing (a one-use
  // memfd is, and is never received again).
  constexpr unsigned recycled = F_SEAL_SHRINK | F_SEAL_SEAL;
  if ((seals & recycled) != recycled || (seals & F_SEAL_WRITE) != 0) return false;
  if (st.st_size <= 0 || static_cast<std::size_t>(st.st_size) > kept_max) return false;
  return in_worker() || keep_everywhere.load(std::memory_order_relaxed);
}

KeptMapping* take_kept(int fd, const struct stat& st, std::size_t need) {
  KeptMapping* k = nullptr;
  {
    std::lock_guard lock(registry_mutex());
    for (auto& slot : cache().slots)
      if (slot != nullptr && slot->dev == st.st_dev && slot->ino == st.st_ino) {
        k = slot;
        slot = nullptr;
        break;
      }
  }
  // The whole file is mapped: a later, bigger message through it (the file grows, never
  // shrinks) usually still fits.
  const std::size_t len = static_cast<std::size_t>(st.st_size);
  if (k != nullptr && k->len >= need) return k;
  if (k != nullptr) {  // the file grew past the kept mapping: map it again
    ::munmap(k->map, k->len);
    k->map = nullptr;
    k->len = 0;
    try {
      k->map = map_file(fd, len);
    } catch (...) {
      delete k;
      throw;
    }
    k->len = len;
    return k;
  }
  char* map = map_file(fd, len);
  return new KeptMapping{st.st_dev, st.st_ino, map, len, 0};
}

const char* kept_data(const KeptMapping* k) noexcept { return k->map; }

void give_kept(KeptMapping* k) noexcept {
  KeptMapping* evicted = nullptr;
  {
    std::lock_guard lock(registry_mutex());
    Cache& c = cache();
    k->used = ++c.clock;
    KeptMapping** target = nullptr;
    for (auto& slot : c.slots) {
      if (slot != nullptr && slot->dev == k->dev && slot->ino == k->ino) {
        target = &slot;  // the same file mapped twice (received twice at once): keep one
        break;
      }
      if (slot == nullptr && target == nullptr) target = &slot;
    }
    if (target == nullptr) {  // full: the least recently used goes
      target = &c.slots[0];
      for (auto& slot : c.slots)
        if (slot->used < (*target)->used) target = &slot;
    }
    evicted = *target;
    *target = k;
  }
  if (evicted != nullptr) unmap(evicted);  // outside the lock: munmap may take a while
}

void drop_kept() noexcept {
  std::array<KeptMapping*, kept_slots> dropped{};
  {
    std::lock_guard lock(registry_mutex());
    dropped = cache().slots;
    cache().slots.fill(nullptr);
  }
  for (KeptMapping* k : dropped)
    if (k != nullptr) unmap(k);
}

std::size_t kept_count() noexcept {
  std::lock_guard lock(registry_mutex());
  std::size_t n = 0;
  for (const KeptMapping* k : cache().slots) n += k != nullptr ? 1 : 0;
  return n;
}

void set_keep_everywhere(bool on) noexcept { keep_everywhere.store(on, std::memory_order_relaxed); }

}  // namespace concur::multiprocessing::detail
