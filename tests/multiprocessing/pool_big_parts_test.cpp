// Big task parts (each over a mebibyte: copied into the recycled memfd with non-temporal
// stores, payload_copy.hpp): every byte arrives, in place, whatever the alignment; results come
// back in order; a part that throws or kills its worker fails the call without spoiling the
// memfds the next call reuses.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <concur/multiprocessing.hpp>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
namespace detail = concur::multiprocessing::detail;

namespace {

class BigParts : public concur::test::NoLeakTest {};

// Bytes that differ with their position (a period of 251, prime: no power-of-two shift of a
// block lands on the same bytes).
std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed) % 251);
  return s;
}

// What a part's worker reports: its sum, unless its first number asks it to fail.
std::int64_t sum_or_fail(std::vector<std::int64_t> v) {
  if (!v.empty() && v[0] == -1) throw std::runtime_error("part refused");
  if (!v.empty() && v[0] == -2) ::kill(::getpid(), SIGKILL);  // dies holding its part
  return std::accumulate(v.begin(), v.end(), std::int64_t{0});
}

// `parts` parts of `n` numbers, each part's numbers its own (seeded by `seed` and its index).
std::vector<std::vector<std::int64_t>> make_parts(std::size_t parts, std::size_t n, int seed) {
  std::vector<std::vector<std::int64_t>> out(parts, std::vector<std::int64_t>(n));
  for (std::size_t i = 0; i < parts; ++i)
    std::iota(out[i].begin(), out[i].end(), static_cast<std::int64_t>(seed * 1000 + i * 7));
  return out;
}

std::vector<std::int64_t> sums_of(const std::vector<std::vector<std::int64_t>>& parts) {
  std::vector<std::int64_t> out;
  for (const auto& p : parts) out.push_back(std::accumulate(p.begin(), p.end(), std::int64_t{0}));
  return out;
}

}  // namespace

TEST_F(BigParts, ARecyclableBodyHoldsEveryByteWhateverTheAlignmentAndSize) {
  // Around the size where the copy changes method, from sources and into destinations at
  // every offset within a cache line: each body is exactly its bytes.
  const std::string source = pattern((3u << 20) + 200, 7);
  for (const std::size_t size : {(1u << 20) - 1, 1u << 20, (1u << 20) + 1, (2u << 20) + 63}) {
    for (const std::size_t src_off : {0u, 1u, 8u, 61u}) {
      for (const std::size_t head : {0u, 3u, 64u}) {  // bytes already in the body
        detail::Payload p;
        p.set_recyclable();
        const std::string first = pattern(head, 3);
        p.append(first);
        p.append(source.data() + src_off, size);
        p.finish();
        ASSERT_TRUE(p.spilled());
        ASSERT_EQ(p.size(), head + size);
        const std::string_view got = p.view();
        EXPECT_EQ(got.substr(0, head), first);
        EXPECT_TRUE(got.substr(head) == std::string_view(source).substr(src_off, size))
            << "size " << size << ", source offset " << src_off << ", head " << head;
      }
    }
  }
  detail::Payload::drop_recycled();  // else the stock's fds would count as leaked
}

TEST_F(BigParts, ResultsOfBigPartsComeBackInInputOrder) {
  mp::Pool pool(2);
  for (int round = 0; round < 2; ++round) {            // the second round reuses the memfds
    const auto parts = make_parts(5, 300'000, round);  // 2.4 MB each, more parts than workers
    EXPECT_EQ(pool.map(&sum_or_fail, parts, 1), sums_of(parts)) << round;
  }
}

TEST_F(BigParts, APartThatThrowsFailsTheCallAndTheNextCallSeesItsOwnBytes) {
  mp::Pool pool(2);
  auto parts = make_parts(3, 300'000, 1);
  parts[1][0] = -1;
  try {
    pool.map(&sum_or_fail, parts, 1);
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("part refused"), std::string::npos) << e.what();
  }
  const auto next = make_parts(3, 300'000, 2);
  EXPECT_EQ(pool.map(&sum_or_fail, next, 1), sums_of(next));
}

TEST_F(BigParts, AWorkerKilledHoldingItsPartFailsTheCallAndTheNextCallSeesItsOwnBytes) {
  mp::Pool pool(2);
  auto parts = make_parts(2, 300'000, 3);
  parts[0][0] = -2;
  EXPECT_THROW(pool.map(&sum_or_fail, parts, 1), mp::WorkerCrashed);
  const auto next = make_parts(4, 300'000, 4);  // the replacement worker and the survivor
  EXPECT_EQ(pool.map(&sum_or_fail, next, 1), sums_of(next));
}
