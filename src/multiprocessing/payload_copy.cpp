// stream_copy(): memcpy with non-temporal stores for big copies (payload_copy.hpp says why).
#include "multiprocessing/payload_copy.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <emmintrin.h>  // SSE2: part of every x86-64 CPU; wider stores measured no faster
#endif

namespace concur::multiprocessing::detail {

void stream_copy(void* dst, const void* src, std::size_t n) noexcept {
#if defined(__x86_64__)
  if (n >= stream_copy_min) {
    auto* d = static_cast<char*>(dst);
    const auto* s = static_cast<const char*>(src);
    // Non-temporal stores need an aligned destination: the head up to a 64-byte line is
    // copied as usual. The source may have any alignment (unaligned loads cost nothing here).
    const std::size_t head = (64 - reinterpret_cast<std::uintptr_t>(d) % 64) % 64;
    std::memcpy(d, s, head);
    d += head;
    s += head;
    n -= head;
    for (; n >= 64; n -= 64, d += 64, s += 64) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 32));
      const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 48));
      _mm_stream_si128(reinterpret_cast<__m128i*>(d), a);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 16), b);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 32), c);
      _mm_stream_si128(reinterpret_cast<__m128i*>(d + 48), e);
    }
    // Non-temporal stores are weakly ordered: without the fence, the message that tells the
    // reader the bytes are there could become visible before some of them.
    _mm_sfence();
    std::memcpy(d, s, n);  // the tail, under one line
    return;
  }
#endif
  std::memcpy(dst, src, n);
}

}  // namespace concur::multiprocessing::detail
