// concur/detail/futures/task_arena.hpp — where ThreadPoolExecutor::submit() puts its tasks.
//
// Internal; not part of the API. Each submitting thread carves task blocks out of a 16 KiB
// chunk of its own by bumping a pointer: no lock, no shared write, a few instructions (the
// general-purpose allocator costs several times that, and more when the blocks are freed by
// other threads, as a pool's are). A chunk counts the blocks still alive in it; whoever frees
// its last block, after its owner moved on to a new chunk, returns it to the system. So a
// chunk lives as long as its longest-lived task (a future kept for long keeps its 16 KiB
// chunk, at most 256 of the smallest blocks, alive; nothing more). Blocks larger than
// kMaxArenaBlock, or aligned to more than 64 bytes, go to operator new.
//
// Thread safety: task_alloc() uses the calling thread's chunk; task_free() may be called from
// any thread.
#pragma once

#include <cstddef>
#include <new>

namespace concur::futures::detail {

/// The largest block the arena serves; larger ones use operator new.
inline constexpr std::size_t kMaxArenaBlock = 512;

/// Memory for one block of `size` bytes (at most kMaxArenaBlock), aligned to 64 bytes. Throws
/// std::bad_alloc.
void* task_alloc_block(std::size_t size);
/// Frees a block from task_alloc_block().
void task_free_block(void* p) noexcept;

template <class T>
inline constexpr bool kInArena = sizeof(T) <= kMaxArenaBlock && alignof(T) <= 64;

/// Memory for one T (uninitialised). Throws std::bad_alloc.
template <class T>
void* task_alloc() {
  if constexpr (kInArena<T>)
    return task_alloc_block(sizeof(T));
  else
    return ::operator new (sizeof(T), std::align_val_t{alignof(T)});
}

/// Frees memory from task_alloc<T>() (the T already destroyed).
template <class T>
void task_free(void* p) noexcept {
  if constexpr (kInArena<T>)
    task_free_block(p);
  else
    ::operator delete (p, std::align_val_t{alignof(T)});
}

}  // namespace concur::futures::detail
