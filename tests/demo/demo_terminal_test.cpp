// concur demo on a terminal (a pseudo-terminal) and without python3 on PATH.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "demo/demo_runner.hpp"

namespace {

namespace sp = concur::subprocess;
namespace fs = std::filesystem;
using concur::test::current_environment;
using concur::test::run_demo;
using ::testing::HasSubstr;

// Runs `concur demo ARGS` with stdout on a fresh pseudo-terminal; returns what it printed there.
std::string run_on_terminal(std::vector<std::string> args, std::map<std::string, std::string> env) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    ADD_FAILURE() << "no pseudo-terminal: errno " << errno;
    return {};
  }
  const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  EXPECT_GE(slave, 0);
  std::string seen;
  std::thread reader([&] {  // the pty buffer is small: read while the demo writes
    char buf[4096];
    while (true) {
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0)
        seen.append(buf, static_cast<std::size_t>(n));
      else if (n < 0 && errno == EINTR)
        continue;
      else
        break;  // EIO once every slave end is closed
    }
  });
  std::vector<std::string> argv = {CONCUR_CLI, "demo"};
  argv.insert(argv.end(), args.begin(), args.end());
  {
    sp::Popen demo(std::move(argv), {.out = slave, .err = sp::DEVNULL, .env = std::move(env)});
    ::close(slave);  // the child has its own copy: EOF (EIO) comes when it exits
    EXPECT_EQ(demo.wait(std::chrono::minutes(2)), 0);
  }
  reader.join();
  ::close(master);
  return seen;
}

TEST(DemoTerminal, ColourOnATerminal) {
  auto env = current_environment();
  env.erase("NO_COLOR");
  const auto out = run_on_terminal({"--quick", "--no-python", "--section", "subprocess"}, env);
  EXPECT_THAT(out, HasSubstr("\x1b["));
  EXPECT_THAT(out, HasSubstr("== subprocess"));
}

TEST(DemoTerminal, NoColorTurnsColourOff) {
  auto env = current_environment();
  env["NO_COLOR"] = "1";
  const auto out = run_on_terminal({"--quick", "--no-python", "--section", "subprocess"}, env);
  EXPECT_THAT(out, HasSubstr("== subprocess"));
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
}

// A PATH with the tools the subprocess section runs, but no python3.
class DemoWithoutPython : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/concur-demo-path-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    for (const char* tool : {"ls", "echo", "bc", "sh", "sleep"}) {
      for (const fs::path bin : {"/usr/bin", "/bin"}) {
        if (fs::exists(bin / tool)) {
          fs::create_symlink(bin / tool, dir_ / tool);
          break;
        }
      }
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(DemoWithoutPython, SaysSoOnceAndShowsCppAlone) {
  auto env = current_environment();
  env["PATH"] = dir_.string();
  const auto r = run_demo({"--quick", "--json", "--section", "subprocess"}, env);
  ASSERT_EQ(r.returncode, 0) << r.err;
  const auto table = nlohmann::json::parse(r.out);
  EXPECT_TRUE(table.at("python").is_null());
  ASSERT_FALSE(table.at("experiments").empty());
  for (const auto& row : table.at("experiments")) {
    EXPECT_GT(row.at("cpp_s").get<double>(), 0.0) << row.dump();
    EXPECT_TRUE(row.at("python_s").is_null()) << row.dump();
  }
  const std::string said = "python3 is not on PATH";
  const auto first = r.err.find(said);
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(said, first + 1), std::string::npos) << "said more than once:\n" << r.err;
}

}  // namespace
