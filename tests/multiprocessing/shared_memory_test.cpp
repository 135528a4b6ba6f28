// Named SharedMemory (Python's multiprocessing.shared_memory), after CPython's
// _TestSharedMemory: create / attach / close / unlink, the errors of each, and attaching from
// processes that share nothing with us but the name (a plain C++ program, and Python).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <concur/multiprocessing.hpp>
#include <concur/subprocess.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "support/error_of.hpp"
#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
namespace sp = concur::subprocess;

namespace {

class SharedMemoryTest : public concur::test::NoLeakTest {
 protected:
  // A name no other test (or test process) uses; unlinked at the end if a test left it.
  std::string fresh_name() {
    static std::atomic<int> counter{0};
    names_.push_back("concur_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    return names_.back();
  }
  void TearDown() override {
    for (const auto& n : names_) std::filesystem::remove("/dev/shm/" + n);
    NoLeakTest::TearDown();
  }
  static bool exists(const std::string& name) {
    return std::filesystem::exists("/dev/shm/" + name);
  }

 private:
  std::vector<std::string> names_;
};

using concur::test::error_of;

}  // namespace

TEST_F(SharedMemoryTest, CreatedNameAppearsInDevShmAndAttachSeesTheSameBytes) {
  const auto name = fresh_name();
  mp::SharedMemory made(name, true, 512);
  EXPECT_EQ(made.name(), name);
  EXPECT_GE(made.size(), 512u);
  EXPECT_TRUE(exists(name));
  std::memcpy(made.buf().data(), "howdy", 5);

  mp::SharedMemory attached(name, false);
  EXPECT_EQ(attached.name(), name);
  EXPECT_EQ(attached.size(), made.size());
  EXPECT_EQ(std::memcmp(attached.buf().data(), "howdy", 5), 0);
  attached.buf()[0] = std::byte{'H'};
  EXPECT_EQ(made.buf()[0], std::byte{'H'});

  made.unlink();
  EXPECT_FALSE(exists(name));
  EXPECT_EQ(attached.buf()[0], std::byte{'H'});  // attached memory outlives the name
}

TEST_F(SharedMemoryTest, CreatingATakenNameThrowsEEXIST) {
  const auto name = fresh_name();
  mp::SharedMemory made(name, true, 64);
  EXPECT_EQ(error_of([&] { mp::SharedMemory again(name, true, 64); }), EEXIST);
  made.unlink();
}

TEST_F(SharedMemoryTest, AttachingAMissingOrUnlinkedNameThrowsENOENT) {
  const auto name = fresh_name();
  EXPECT_EQ(error_of([&] { mp::SharedMemory m(name, false); }), ENOENT);
  mp::SharedMemory made(name, true, 64);
  made.unlink();
  EXPECT_EQ(error_of([&] { mp::SharedMemory m(name, false); }), ENOENT);
  EXPECT_EQ(error_of([&] { made.unlink(); }), ENOENT);  // second unlink
}

TEST_F(SharedMemoryTest, BadNamesAndZeroSizeAreInvalidArguments) {
  EXPECT_THROW(mp::SharedMemory("a/b", true, 16), std::invalid_argument);
  EXPECT_THROW(mp::SharedMemory("", false), std::invalid_argument);
  EXPECT_THROW(mp::SharedMemory(std::string(300, 'x'), true, 16), std::invalid_argument);
  EXPECT_THROW(mp::SharedMemory(fresh_name(), true, 0), std::invalid_argument);
}

TEST_F(SharedMemoryTest, LeadingSlashIsDroppedAsPythonDoes) {
  const auto name = fresh_name();
  mp::SharedMemory made("/" + name, true, 16);
  EXPECT_EQ(made.name(), name);
  EXPECT_TRUE(exists(name));
  made.unlink();
}

TEST_F(SharedMemoryTest, CreateWithoutANamePicksAFreshPsmName) {
  mp::SharedMemory a("", true, 16), b("", true, 16);
  EXPECT_EQ(a.name().rfind("psm_", 0), 0u);
  EXPECT_NE(a.name(), b.name());
  EXPECT_TRUE(exists(a.name()));
  a.unlink();
  b.unlink();
}

TEST_F(SharedMemoryTest, CloseDropsOnlyThisHandle) {
  const auto name = fresh_name();
  mp::SharedMemory made(name, true, 64);
  mp::SharedMemory copy = made;
  made.buf()[3] = std::byte{9};
  made.close();
  EXPECT_EQ(made.size(), 0u);
  EXPECT_TRUE(made.buf().empty());
  EXPECT_EQ(copy.buf()[3], std::byte{9});
  // Python's close() then unlink(): the closed handle keeps its name and can still unlink.
  EXPECT_EQ(made.name(), name);
  made.unlink();
  EXPECT_FALSE(exists(name));
  EXPECT_EQ(copy.buf()[3], std::byte{9});  // mapped memory outlives the name
  try {
    mp::SharedMemory again(name, false);
    ADD_FAILURE() << "attached an unlinked name";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
  }
  EXPECT_THROW(copy.unlink(), std::system_error);  // only once
}

TEST_F(SharedMemoryTest, AnonymousMemoryHasNoNameAndUnlinkDoesNothing) {
  mp::SharedMemory anon(128);
  EXPECT_EQ(anon.name(), "");
  EXPECT_NO_THROW(anon.unlink());
  EXPECT_EQ(anon.size(), 128u);
}

TEST_F(SharedMemoryTest, NamedHandleTravelsToAProcessWithItsName) {
  const auto name = fresh_name();
  mp::SharedMemory made(name, true, 64);
  mp::Process p(
      +[](mp::SharedMemory m, std::string expected) {
        if (m.name() != expected) throw std::runtime_error("name lost: " + m.name());
        m.buf()[1] = std::byte{77};
      },
      made, name);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(made.buf()[1], std::byte{77});
  made.unlink();
}

TEST_F(SharedMemoryTest, AnUnrelatedProgramAttachesByName) {
  const auto name = fresh_name();
  mp::SharedMemory made(name, true, 4096);
  made.buf()[100] = std::byte{42};
  const auto r = sp::run({std::string(CONCUR_HELPER_DIR) + "/shm_attach", name, "100", "7"},
                         {.capture_output = true});
  EXPECT_EQ(r.returncode, 0) << r.err;
  EXPECT_EQ(r.out, "4096 42\n");
  EXPECT_EQ(made.buf()[100], std::byte{7});
  made.unlink();
  const auto gone = sp::run({std::string(CONCUR_HELPER_DIR) + "/shm_attach", name, "0", "0"},
                            {.capture_output = true});
  EXPECT_EQ(gone.returncode, 2);  // ENOENT there too
}
