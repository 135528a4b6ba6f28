// Internal to Payload: the copy of a big argument into the memfd that carries it.
//
// A task's big body is written once by the parent into a recycled memfd and read by a worker
// in another process. memcpy writes through the cache: for a copy this size (glibc switches to
// non-temporal stores only above ~100 MB on this machine's big shared L3) each destination line
// is first read from memory (read-for-ownership), then written back later: three passes over
// memory for one copy. None of it is read again by the writer, and the reader runs on another
// core. Non-temporal stores write whole lines straight to memory: measured on the benchmark
// VM, 40 MB copied in 2.6-3.1 ms instead of 6-7 ms (5 GB/s), and the worker's own copy and
// sum after it were no slower (the line reached memory either way).
//
// Not part of the public API. Thread safety: a plain function.
#pragma once

#include <cstddef>

namespace concur::multiprocessing::detail {

/// Copies smaller than this go through memcpy (the bytes may still be in use in this core's
/// cache, and the stores' set-up would not pay for itself).
inline constexpr std::size_t stream_copy_min = 1u << 20;

/// memcpy(dst, src, n) for buffers that do not overlap; from stream_copy_min bytes on (x86-64)
/// with non-temporal stores, fenced before it returns: the bytes are visible to another
/// process once a later message says they are there.
void stream_copy(void* dst, const void* src, std::size_t n) noexcept;

}  // namespace concur::multiprocessing::detail
