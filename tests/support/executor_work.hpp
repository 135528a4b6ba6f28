// Test support: one generic function for every concur::futures::Executor — the proof that the
// Executor concept is enough to write code that runs unchanged on threads or processes.
//
//   concur::futures::ThreadPoolExecutor threads(2);
//   EXPECT_EQ(concur::test::generic_work(threads), concur::test::generic_work_expected);
#pragma once

#include <numeric>
#include <vector>

#include "concur/futures/executor.hpp"

namespace concur::test {

/// 3 * x: a plain function, so that worker processes can run it too.
inline int triple(int x) { return 3 * x; }

/// submit() one task and map() 100 items through `executor`; the sum of all the results.
template <concur::futures::Executor E>
long generic_work(E& executor) {
  auto f = executor.submit(&triple, 5);
  std::vector<int> items(100);
  std::iota(items.begin(), items.end(), 0);
  const auto tripled = executor.map(&triple, items);
  return f.result() + std::accumulate(tripled.begin(), tripled.end(), 0L);
}

/// What generic_work() returns on any working executor: 3 * 5 + 3 * (0 + 1 + ... + 99).
inline constexpr long generic_work_expected = 15 + 3 * 4950;

}  // namespace concur::test
