// Big arguments and results travel through sealed memfds; untrusted bytes never crash a reader.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
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

std::string bytes_of(std::uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

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
