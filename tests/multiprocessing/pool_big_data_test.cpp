// Big arguments and results travel through sealed memfds; untrusted bytes never crash a reader.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <concur/multiprocessing.hpp>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
namespace detail = concur::multiprocessing::detail;

namespace {

class BigData : public concur::test::NoLeakTest {};

// Sums each of `parts` in the pool's workers (one task each): every sum must be the parent's
// own sum of that part. `label` names the round in a failure.
void expect_worker_sums(mp::Pool& pool, const std::vector<std::vector<std::int64_t>>& parts,
                        std::size_t label) {
  const auto sums = pool.map(
      +[](std::vector<std::int64_t> v) { return std::accumulate(v.begin(), v.end(), 0ll); }, parts,
      1);
  ASSERT_EQ(sums.size(), parts.size()) << label;
  for (std::size_t i = 0; i < parts.size(); ++i)
    EXPECT_EQ(sums[i], std::accumulate(parts[i].begin(), parts[i].end(), 0ll)) << label;
}

std::string bytes_of(std::uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

// A value whose serialization writes a message of its own meanwhile (as a handle's may).
struct WritesInside {
  std::string* side;
  template <class Archive>
  void serialize(Archive& ar) {
    detail::FdList fds;
    detail::write_values(*side, fds, std::string("inner"));
    std::uint32_t v = 7;
    ar(v);
  }
};

std::string u32(std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

}  // namespace

TEST_F(BigData, BigChunksOfMapTravelOutsideTheSocket) {
  mp::Pool pool(2);
  std::vector<std::string> items(4, std::string(1 << 20, 'a'));
  auto sizes = pool.map(
      +[](std::string s) { return s.size(); }, items, 2);
  EXPECT_EQ(sizes, std::vector<std::size_t>(4, 1u << 20));
}

TEST_F(BigData, PayloadSpillsPastTheThresholdAndSeals) {
  detail::Payload p;
  const std::string chunk(40 * 1024, 'x');
  p.append(chunk);
  EXPECT_FALSE(p.spilled());
  p.append(chunk);
  EXPECT_TRUE(p.spilled());
  p.finish();
  const int seals = ::fcntl(p.memfd(), F_GET_SEALS);
  EXPECT_TRUE(seals & F_SEAL_WRITE);
  EXPECT_TRUE(seals & F_SEAL_SHRINK);
  EXPECT_EQ(p.view(), chunk + chunk);
}

TEST_F(BigData, AdoptRejectsUnsealedOrShortFiles) {
  const int fd = ::memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 100), 0);
  EXPECT_THROW(detail::Payload::adopt(concur::detail::UniqueFd(::dup(fd)), 100), mp::ProcessError);
  ASSERT_EQ(::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0);
  EXPECT_THROW(detail::Payload::adopt(concur::detail::UniqueFd(::dup(fd)), 1000), mp::ProcessError);
  auto ok = detail::Payload::adopt(concur::detail::UniqueFd(::dup(fd)), 100);
  EXPECT_EQ(ok.view().size(), 100u);
  ::close(fd);
}

TEST_F(BigData, CorruptSizesNeverAllocateBeyondTheBytes) {
  detail::FdList none;
  {  // a vector claiming 2^60 elements in 8 bytes
    const std::string bytes = bytes_of(1ull << 60);
    detail::Reader r(bytes, none);
    EXPECT_THROW(r.read<std::vector<std::int64_t>>(), std::exception);
  }
  {  // a string claiming 1 TiB
    const std::string bytes = bytes_of(1ull << 40) + "abc";
    detail::Reader r(bytes, none);
    EXPECT_THROW(r.read<std::string>(), std::exception);
  }
  {  // a bool that is neither 0 nor 1 (the Reader views the bytes: they must outlive it)
    const std::string bytes(1, '\x07');
    detail::Reader r(bytes, none);
    EXPECT_THROW(r.read<bool>(), std::exception);
  }
  // a raw chunk whose count does not match its bytes
  EXPECT_THROW(detail::ItemReader<int>("abcdefg", none, 2), mp::ProcessError);
  EXPECT_THROW(detail::ItemReader<int>("", none, 1ull << 62), mp::ProcessError);
  EXPECT_THROW(detail::ItemReader<std::string>("", none, 1ull << 62), mp::ProcessError);
}

TEST_F(BigData, VectorsOfNumbersDecodeInOneCopyAndRefuseLyingSizes) {
  detail::FdList none;
  const std::vector<std::vector<std::int64_t>> items{{1, 2, 3}, {}, {-4}};
  detail::Payload body;
  {
    detail::ItemWriter<std::vector<std::int64_t>> w(body, none);
    for (const auto& v : items) w.put(v);
    w.flush();
  }
  detail::ItemReader<std::vector<std::int64_t>> r(body.view(), none, items.size());
  std::vector<std::vector<std::int64_t>> back;
  r.append_to(back);
  EXPECT_EQ(back, items);
  // The same bytes one byte off the alignment of int64_t: still decoded (copied bytewise).
  std::string shifted = " " + std::string(body.view());
  detail::ItemReader<std::vector<std::int64_t>> r2(std::string_view(shifted).substr(1), none, 3);
  back.clear();
  r2.append_to(back);
  EXPECT_EQ(back, items);
  // A size of 2^60 elements with 8 bytes behind it, and a truncated size.
  const std::string lying = bytes_of(1ull << 60) + bytes_of(7);
  EXPECT_THROW((detail::ItemReader<std::vector<std::int64_t>>(lying, none, 1).get()),
               std::exception);
  EXPECT_THROW((detail::ItemReader<std::vector<std::int64_t>>("abc", none, 1).get()),
               std::exception);
}

// Writers share their thread's one stream (each write lends it the writer's buffer): two
// writers used in turn, and a writer used inside another's write, keep their bytes apart.
TEST_F(BigData, WritersUsedInTurnOrNestedKeepTheirBytesApart) {
  detail::FdList none;
  std::string a, b, side;
  {
    detail::Writer<std::string> wa(a, none);
    detail::Writer<std::string> wb(b, none);
    wa.write(std::uint32_t{1});
    wb.write(std::uint32_t{2});
    wa.write(std::uint32_t{3});
    wa.write(WritesInside{&side});
    wb.write(std::uint32_t{4});
  }
  EXPECT_EQ(a, u32(1) + u32(3) + u32(7));
  EXPECT_EQ(b, u32(2) + u32(4));
  detail::Reader r(side, none);
  EXPECT_EQ(r.read<std::string>(), "inner");
  EXPECT_EQ(r.left(), 0u);
}

TEST_F(BigData, RecyclableBodiesReuseTheirMemfdAndStaySealedAgainstShrinking) {
  const std::vector<std::int64_t> numbers(100'000, 7);  // 800 KB: spilled
  struct stat first {};
  {
    detail::Payload p;
    p.set_recyclable();
    p.append(numbers.data(), numbers.size() * sizeof(std::int64_t));
    ASSERT_TRUE(p.spilled());
    p.finish();
    const int seals = ::fcntl(p.memfd(), F_GET_SEALS);
    EXPECT_TRUE(seals & F_SEAL_SHRINK);
    // A receiver cannot seal it against our next message through it.
    EXPECT_TRUE(seals & F_SEAL_SEAL);
    EXPECT_EQ(::fcntl(p.memfd(), F_ADD_SEALS, F_SEAL_GROW), -1);
    ASSERT_EQ(::fstat(p.memfd(), &first), 0);
    // What a worker does with it: checks the seals and the size, maps it.
    auto received = detail::Payload::adopt(concur::detail::UniqueFd(::dup(p.memfd())), p.size());
    EXPECT_EQ(received.view(), p.view());
  }  // back to the stock
  {
    const std::string other(300'000, 'z');
    detail::Payload q;
    q.set_recyclable();
    q.append(other);
    q.finish();
    struct stat second {};
    ASSERT_EQ(::fstat(q.memfd(), &second), 0);
    EXPECT_EQ(second.st_ino, first.st_ino);  // the same memfd, rewritten
    EXPECT_EQ(q.view(), other);
    EXPECT_EQ(::ftruncate(q.memfd(), 10), -1);  // cannot shrink under a receiver's mapping
  }
  detail::Payload::drop_recycled();  // else the stock's fd would count as leaked
}

TEST_F(BigData, MapOfBigVectorsGivesTheSameSumsCallAfterCall) {
  mp::Pool pool(2);
  std::vector<std::vector<std::int64_t>> parts(2);
  for (int round = 0; round < 3; ++round) {  // later rounds reuse the first round's memfds
    for (std::size_t i = 0; i < parts.size(); ++i) {
      parts[i].assign(200'000 + 1000 * static_cast<std::size_t>(round), 0);
      std::iota(parts[i].begin(), parts[i].end(), static_cast<std::int64_t>(i + round));
    }
    expect_worker_sums(pool, parts, static_cast<std::size_t>(round));
  }
}

namespace {

// A finished recyclable payload holding `bytes` (from the stock when one is free).
detail::Payload recyclable(const std::string& bytes) {
  detail::Payload p;
  p.set_recyclable();
  p.append(bytes);
  p.finish();
  return p;
}

detail::Payload receive(const detail::Payload& sent) {
  return detail::Payload::adopt(concur::detail::UniqueFd(::dup(sent.memfd())), sent.size());
}

ino_t inode_of(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return st.st_ino;
}

// Keeps received mappings in this (non-worker) process while it lives.
struct KeepMappings {
  KeepMappings() {
    detail::Payload::drop_recycled();  // a stock left by another test
    detail::Payload::keep_received_mappings(true);
  }
  ~KeepMappings() {
    detail::Payload::keep_received_mappings(false);
    detail::Payload::drop_recycled();
  }
};

}  // namespace

TEST_F(BigData, AKeptMappingOfARecycledMemfdShowsEachNewMessageThroughIt) {
  KeepMappings keep;
  ino_t first = 0;
  {
    detail::Payload sent = recyclable(std::string(300'000, 'a'));
    first = inode_of(sent.memfd());
    detail::Payload got = receive(sent);
    EXPECT_EQ(got.view(), sent.view());
    EXPECT_EQ(detail::Payload::kept_received_mappings(), 0u);  // in use: not in the cache
  }  // the receiver is done: its mapping is kept; the sender's memfd goes back to the stock
  EXPECT_EQ(detail::Payload::kept_received_mappings(), 1u);
  // The same memfd rewritten for a second message, then grown past the kept mapping (2 MiB):
  // the receiver sees each message's own bytes, never the previous ones.
  for (const std::string& next : {std::string(300'000, 'b'), std::string(5'000'000, 'c')}) {
    detail::Payload sent = recyclable(next);
    ASSERT_EQ(inode_of(sent.memfd()), first);
    detail::Payload got = receive(sent);
    EXPECT_EQ(detail::Payload::kept_received_mappings(), 0u);  // taken from the cache
    EXPECT_EQ(got.view(), next);
  }
  EXPECT_EQ(detail::Payload::kept_received_mappings(), 1u);
}

TEST_F(BigData, KeptMappingsAreBoundedAndOneUseMemfdsAreNeverKept) {
  KeepMappings keep;
  {
    // Twelve memfds at once (the stock holds four): each received and dropped.
    std::vector<detail::Payload> sent;
    for (char c = 'a'; c < 'a' + 12; ++c) sent.push_back(recyclable(std::string(100'000, c)));
    for (const auto& s : sent) {
      detail::Payload got = receive(s);
      EXPECT_EQ(got.view(), s.view());
    }
    EXPECT_EQ(detail::Payload::kept_received_mappings(), 8u);  // the oldest were unmapped
  }
  // A one-use memfd (sealed against writing) is mapped for its message only.
  detail::Payload once;
  once.append(std::string(100'000, 'z'));
  once.finish();
  {
    detail::Payload got = receive(once);
    EXPECT_EQ(got.view(), once.view());
  }
  EXPECT_EQ(detail::Payload::kept_received_mappings(), 8u);
  detail::Payload::keep_received_mappings(false);
  EXPECT_EQ(detail::Payload::kept_received_mappings(), 0u);
}

TEST_F(BigData, AMemfdNoLongerRecycledHasItsPagesFreed) {
  concur::detail::UniqueFd copy;
  {
    detail::Payload sent = recyclable(std::string(3'000'000, 'x'));
    copy.reset(::dup(sent.memfd()));
  }
  struct stat st {};
  ASSERT_EQ(::fstat(copy.get(), &st), 0);
  EXPECT_GT(st.st_blocks, 0);  // in the stock, its pages stay for the next message
  detail::Payload::drop_recycled();
  ASSERT_EQ(::fstat(copy.get(), &st), 0);
  EXPECT_EQ(st.st_blocks, 0);  // a worker's kept mapping of it would hold no memory
}

TEST_F(BigData, WorkersSeeEveryCallsOwnBytesThroughRecycledMemfds) {
  mp::Pool pool(2);
  // The same sizes with new contents, then a part that grows the memfds past the workers'
  // kept mappings, then small again: every call sums its own numbers.
  std::int64_t seed = 0;
  for (const std::size_t n : {300'000u, 300'000u, 3'000'000u, 300'000u, 300'000u}) {
    std::vector<std::vector<std::int64_t>> parts(2, std::vector<std::int64_t>(n));
    for (auto& p : parts) std::iota(p.begin(), p.end(), ++seed);
    expect_worker_sums(pool, parts, n);
  }
}
