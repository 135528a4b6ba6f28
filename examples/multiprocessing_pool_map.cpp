// Pool.map of a multiplier: with Pool(2) as pool: pool.map(multiplier, range(10)).
#include <concur/multiprocessing.hpp>
#include <iostream>
#include <numeric>
#include <vector>

namespace mp = concur::multiprocessing;

int multiplier(int x) { return x * 10; }

int main() {
  std::vector<int> items(10);
  std::iota(items.begin(), items.end(), 0);
  mp::Pool pool(2);
  const std::vector<int> out = pool.map(&multiplier, items);
  for (int v : out) std::cout << v << ' ';
  std::cout << '\n';
  for (std::size_t i = 0; i < items.size(); ++i)
    if (out[i] != items[i] * 10) return 1;
  return 0;
}
