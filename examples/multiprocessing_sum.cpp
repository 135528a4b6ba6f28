// The sum of 10^7 numbers over 2 workers, three ways:
//  1. split the data into parts and send them (the IPC cost: 80 MB copied to the workers);
//  2. sum_n: send only a count, each worker makes its own numbers (nothing to copy);
//  3. a SharedArray: the workers read the parent's array through a handle (no copy).
#include <chrono>
#include <concur/multiprocessing.hpp>
#include <cstdint>
#include <iostream>
#include <numeric>
#include <tuple>
#include <vector>

namespace mp = concur::multiprocessing;
using Clock = std::chrono::steady_clock;

std::int64_t sum_part(std::vector<std::int64_t> part) {
  return std::accumulate(part.begin(), part.end(), std::int64_t{0});
}

std::int64_t sum_n(std::int64_t lo, std::int64_t hi) {  // the numbers lo..hi-1, made here
  std::int64_t s = 0;
  for (std::int64_t i = lo; i < hi; ++i) s += i;
  return s;
}

std::int64_t sum_shared(mp::SharedArray<std::int64_t> a, std::size_t lo, std::size_t hi) {
  return std::accumulate(a.begin() + static_cast<std::ptrdiff_t>(lo),
                         a.begin() + static_cast<std::ptrdiff_t>(hi), std::int64_t{0});
}

template <class F>
std::int64_t timed(const char* what, F f) {
  const auto t0 = Clock::now();
  const std::int64_t s = f();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::cout << what << ": " << s << " in " << ms << " ms\n";
  return s;
}

int main() {
  constexpr std::size_t n = 10'000'000;
  const std::int64_t want = static_cast<std::int64_t>(n) * (static_cast<std::int64_t>(n) - 1) / 2;
  mp::Pool pool(2);
  std::vector<std::int64_t> data(n);
  std::iota(data.begin(), data.end(), 0);
  mp::SharedArray<std::int64_t> shared(n);
  std::iota(shared.begin(), shared.end(), 0);

  const auto copied = timed("parts sent to the workers", [&] {
    std::vector<std::vector<std::int64_t>> parts{{data.begin(), data.begin() + n / 2},
                                                 {data.begin() + n / 2, data.end()}};
    const auto sums = pool.map(&sum_part, parts);
    return sums[0] + sums[1];
  });
  const auto counted = timed("sum_n (only counts sent)", [&] {
    const std::int64_t h = static_cast<std::int64_t>(n / 2);
    const auto sums = pool.starmap(&sum_n, std::vector<std::tuple<std::int64_t, std::int64_t>>{
                                               {0, h}, {h, static_cast<std::int64_t>(n)}});
    return sums[0] + sums[1];
  });
  const auto via_shared = timed("SharedArray (a handle sent)", [&] {
    using Args = std::tuple<mp::SharedArray<std::int64_t>, std::size_t, std::size_t>;
    const auto sums =
        pool.starmap(&sum_shared, std::vector<Args>{{shared, 0, n / 2}, {shared, n / 2, n}});
    return sums[0] + sums[1];
  });
  return copied == want && counted == want && via_shared == want ? 0 : 1;
}
