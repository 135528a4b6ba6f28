// The task arena (include/concur/detail/futures/task_arena.hpp): per-thread bump allocation
// out of aligned chunks, each freed when its last block is.
#include "concur/detail/futures/task_arena.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace concur::futures::detail {
namespace {

constexpr std::size_t kChunk = 16 * 1024;  // aligned to its size: a block finds its chunk
constexpr std::size_t kAlign = 64;         // every block: no two tasks share a cache line

struct alignas(kAlign) ChunkHeader {
  // Frees minus (once the owner retired the chunk) the blocks handed out. Starts at 0 and
  // only goes negative while the owner still allocates from it, so it reaches 0 exactly once:
  // when the last block is freed after retirement, or at retirement if all were freed already.
  std::atomic<std::int64_t> live{0};
};

void release_chunk(ChunkHeader* c, std::int64_t n) noexcept {
  if (c->live.fetch_add(n, std::memory_order_acq_rel) + n == 0) {
    c->~ChunkHeader();
    std::free(c);
  }
}

struct ThreadChunk {
  ChunkHeader* chunk = nullptr;
  char* next = nullptr;
  char* end = nullptr;
  std::int64_t handed_out = 0;

  void retire() noexcept {
    if (chunk) release_chunk(chunk, handed_out);
    chunk = nullptr;
    next = end = nullptr;
    handed_out = 0;
  }
  ~ThreadChunk() { retire(); }
};

thread_local ThreadChunk t_chunk;

}  // namespace

void* task_alloc_block(std::size_t size) {
  size = (size + kAlign - 1) & ~(kAlign - 1);
  ThreadChunk& t = t_chunk;
  if (static_cast<std::size_t>(t.end - t.next) < size) {
    void* raw = std::aligned_alloc(kChunk, kChunk);
    if (!raw) throw std::bad_alloc();
    t.retire();
    t.chunk = ::new (raw) ChunkHeader();
    t.next = static_cast<char*>(raw) + sizeof(ChunkHeader);
    t.end = static_cast<char*>(raw) + kChunk;
  }
  void* p = t.next;
  t.next += size;
  ++t.handed_out;
  return p;
}

void task_free_block(void* p) noexcept {
  auto* c = reinterpret_cast<ChunkHeader*>(reinterpret_cast<std::uintptr_t>(p) & ~(kChunk - 1));
  release_chunk(c, -1);
}

}  // namespace concur::futures::detail
