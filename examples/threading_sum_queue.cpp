// The lecture's parallel sum: N threads each sum a slice of 10^7 ones and report through a Queue.
//
//   def worker(data, lo, hi, q): q.put((lo, sum(data[lo:hi])))
//   q = queue.Queue()
//   threads = [threading.Thread(target=worker, args=(data, lo, hi, q)) for lo, hi in slices]
//   ...; total = sum(part for _, part in sorted(q.get() for _ in threads))
//
// Partial sums are combined in slice order (here integers, but the habit keeps floating-point
// results deterministic).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <numeric>
#include <utility>
#include <vector>

#include "concur/queue.hpp"
#include "concur/threading.hpp"

int main() {
  using concur::threading::Thread;
  const std::vector<std::int64_t> data(10'000'000, 1);
  for (unsigned n : {1u, 2u, 4u}) {
    concur::queue::Queue<std::pair<std::size_t, std::int64_t>> results;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Thread> threads;
    for (unsigned i = 0; i < n; ++i) {
      const std::size_t lo = data.size() * i / n, hi = data.size() * (i + 1) / n;
      threads.emplace_back([&, i, lo, hi] {
        results.put(
            {i, std::accumulate(data.begin() + static_cast<std::ptrdiff_t>(lo),
                                data.begin() + static_cast<std::ptrdiff_t>(hi), std::int64_t{0})});
      });
    }
    for (auto& t : threads) t.start();
    std::vector<std::pair<std::size_t, std::int64_t>> parts;
    for (unsigned i = 0; i < n; ++i) parts.push_back(results.get());
    for (auto& t : threads) t.join();
    std::sort(parts.begin(), parts.end());  // combine in slice order
    std::int64_t total = 0;
    for (auto& [index, part] : parts) total += part;
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::cout << n << " thread(s): sum = " << total << " in " << ms << " ms\n";
    if (total != static_cast<std::int64_t>(data.size())) return 1;
  }
}
