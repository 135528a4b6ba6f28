// Internal to Payload: a receiver's mappings of recycled memfds, kept between messages.
//
// A pool's parent sends every big task body through one of a few recycled memfds (payload.cpp),
// so a worker receives the same few files again and again. Mapping one (MAP_POPULATE: a page
// table entry per 4 KiB) and unmapping it afterwards (page tables freed, TLB flushed) cost a
// worker as much as a third of a 40 MB task. A worker therefore keeps the mapping of each
// recycled memfd it received, keyed by the file's identity (st_dev, st_ino: unique while the
// mapping pins the file), and the next message through that memfd maps nothing.
//
// Why this is safe:
// - Only recycled memfds are kept: sealed against shrinking (the kept mapping can never reach
//   past the end of the file: no SIGBUS) and F_SEAL_SEAL, but writable — one-use memfds (also
//   sealed against writing) are mapped and unmapped as before. At most kept_max bytes each.
// - The mapping is read only while a Payload holds it: from the message's arrival until the
//   task body is dropped, before the worker replies. The parent rewrites a recycled memfd only
//   after that reply (pool.hpp: a task's body goes back to the stock when its reply, or its
//   worker's death, is handled), so no byte read through a kept mapping is being rewritten.
//   Between messages the mapping is not read: it is just address space.
// - A kept mapping is taken out of the cache while in use (one Payload at a time); the next
//   message through the same memfd finds it again, grown (remapped) if the file grew.
// - Bounded: at most kept_slots mappings; giving one back to a full cache unmaps the least
//   recently used. The parent punches out the pages of a memfd it stops recycling (payload.cpp),
//   so a mapping kept of it holds address space, not memory, until evicted.
//
// Enabled in pool workers (in_worker()); tests enable it with Payload::keep_received_mappings().
// Thread safety: thread-safe (under registry_mutex(), which fork_child() holds across fork()).
#pragma once

#include <sys/stat.h>

#include <cstddef>

namespace concur::multiprocessing::detail {

struct KeptMapping;

/// The most mappings kept, and the largest memfd kept (a bigger one is never recycled).
inline constexpr std::size_t kept_slots = 8;
inline constexpr std::size_t kept_max = 128u << 20;

/// Whether a received memfd with `seals` and `st` may be kept mapped (in this process now).
bool may_keep(unsigned seals, const struct stat& st);
/// The mapping of `fd` (whose fstat is `st`, may_keep() true), covering at least `need`
/// bytes: the kept one if any (remapped when shorter), else a new one. Throws
/// std::system_error when mapping fails.
KeptMapping* take_kept(int fd, const struct stat& st, std::size_t need);
/// Its start.
const char* kept_data(const KeptMapping* k) noexcept;
/// Gives a mapping back to the cache (evicting the least recently used from a full one).
void give_kept(KeptMapping* k) noexcept;
/// Unmaps every kept mapping not in use; how many are kept (in use or not) is `kept_count()`.
void drop_kept() noexcept;
std::size_t kept_count() noexcept;
/// Tests: keep mappings in this process even though it is not a worker.
void set_keep_everywhere(bool on) noexcept;

}  // namespace concur::multiprocessing::detail
