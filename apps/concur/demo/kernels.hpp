// The work the demo's timed experiments do, shared by its threads and its processes.
//
//   auto x = lcg_steps(1, 10'000'000);     // compute-bound: the lecture's CPU-heavy loop
//   auto s = sum_range(ones.data(), ones.data() + ones.size());   // memory-bound
//
// lcg_steps is a chain of dependent multiplications: the compiler cannot fold it into a formula
// or vectorise it, so it measures the CPU, and it gives exactly the value of the Python twin's
// `x = (x * 1103515245 + 12345) & 0x7FFFFFFF` (a result both sides can compare).
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <numeric>

namespace concur::cli::demo {

/// Steps the 31-bit linear congruential generator `steps` times from `seed`.
inline std::uint64_t lcg_steps(std::uint64_t seed, std::size_t steps) {
  auto x = static_cast<std::uint32_t>(seed);
  for (std::size_t i = 0; i < steps; ++i) x = (x * 1103515245u + 12345u) & 0x7FFFFFFFu;
  return x;
}

/// The sum of [begin, end): reads memory as fast as the machine allows.
inline std::int64_t sum_range(const std::int64_t* begin, const std::int64_t* end) {
  return std::accumulate(begin, end, std::int64_t{0});
}

/// [begin, end) of part `i` of `parts` near-equal parts of n items (the Python twins' split).
struct Slice {
  std::size_t begin, end;
};
inline Slice slice_of(std::size_t n, std::size_t parts, std::size_t i) {
  const std::size_t size = (n + parts - 1) / parts;
  const std::size_t begin = std::min(n, i * size);
  return {begin, std::min(n, begin + size)};
}

}  // namespace concur::cli::demo
