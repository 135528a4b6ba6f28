// kernels/kernels.hpp — the work the lecture's timed experiments do, in one place.
//
// Used by `concur demo` (threading and multiprocessing sections) and concur_bench (sum_memory,
// sum_compute, pool_compute); the Python twins in common/python do exactly the same work, so
// the C++ and Python results can be compared number for number.
//
//   std::vector<std::int64_t> ones(n, 1);
//   std::int64_t part = concur::kernels::sum_part(ones, 2, 0);   // memory-bound: half the sum
//   std::uint64_t x = concur::kernels::lcg_part(10'000'000, 2, 1); // compute-bound: thread 1's
//   half std::int64_t y = concur::kernels::modular_squarings(0, 1'000'000);  // the benchmarks'
//   kernel
//
// Both compute kernels are chains of dependent multiplications: the compiler cannot fold them
// into a formula or vectorise them, so they measure the CPU. lcg_steps gives exactly the value
// of the twin compute_threads.py's `x = (x * 1103515245 + 12345) & 0x7FFFFFFF`;
// modular_squarings that of sum_compute.py's kernel.
// Thread safety: pure functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

namespace concur::kernels {

/// Steps the 31-bit linear congruential generator `steps` times from `seed`.
inline std::uint64_t lcg_steps(std::uint64_t seed, std::size_t steps) {
  auto x = static_cast<std::uint32_t>(seed);
  for (std::size_t i = 0; i < steps; ++i) x = (x * 1103515245u + 12345u) & 0x7FFFFFFFu;
  return x;
}

/// Part `i` of `parts` of the compute kernel over `steps` steps in all, as the twin
/// compute_threads.py splits it: part i starts from seed i + 1 and takes steps / parts steps.
inline std::uint64_t lcg_part(std::size_t steps, std::size_t parts, std::size_t i) {
  return lcg_steps(i + 1, steps / parts);
}

/// Four dependent modular squarings of each i in [lo, hi), summed (sum_compute.py's kernel).
inline std::int64_t modular_squarings(std::int64_t lo, std::int64_t hi) {
  std::int64_t s = 0;
  for (std::int64_t i = lo; i < hi; ++i) {
    std::int64_t x = i;
    for (int k = 0; k < 4; ++k) x = (x * x + 1) % 1000003;
    s += x;
  }
  return s;
}

/// The sum of [begin, end): reads memory as fast as the machine allows.
inline std::int64_t sum_range(const std::int64_t* begin, const std::int64_t* end) {
  return std::accumulate(begin, end, std::int64_t{0});
}

/// [begin, end) of part `i` of `parts` near-equal parts of n items (the twins' split:
/// ceil(n / parts) items each, the last one shorter).
struct Slice {
  std::size_t begin, end;
};
inline Slice slice_of(std::size_t n, std::size_t parts, std::size_t i) {
  const std::size_t size = (n + parts - 1) / parts;
  const std::size_t begin = std::min(n, i * size);
  return {begin, std::min(n, begin + size)};
}

/// The sum of part `i` of `parts` of `v` (the twin queue_sum.py's worker).
inline std::int64_t sum_part(const std::vector<std::int64_t>& v, std::size_t parts, std::size_t i) {
  const Slice s = slice_of(v.size(), parts, i);
  return sum_range(v.data() + s.begin, v.data() + s.end);
}

}  // namespace concur::kernels
