// run(), call(), check_call(), check_output(), getoutput(), getstatusoutput() and Options.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <concur/subprocess.hpp>
#include <filesystem>
#include <fstream>

#include "test_util.hpp"

using namespace concur::subprocess;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class Run : public concur::test::NoLeakTest {};

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("concur_sub_" + std::to_string(::getpid()) + "_" + name);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST_F(Run, CapturesStdoutAndStderrSeparately) {
  auto r = run({"sh", "-c", "echo out; echo err >&2; exit 3"}, {.capture_output = true});
  EXPECT_EQ(r.returncode, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.args, (std::vector<std::string>{"sh", "-c", "echo out; echo err >&2; exit 3"}));
}

TEST_F(Run, UncapturedStreamsAreEmpty) {
  auto r = run({"true"});
  EXPECT_EQ(r.returncode, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST_F(Run, InputFeedsStdin) {
  auto r = run({"bc"}, {.input = "2 * 3\n", .capture_output = true});
  EXPECT_EQ(r.out, "6\n");
}

TEST_F(Run, InputIsBinarySafe) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  EXPECT_EQ(run({"cat"}, {.input = bytes, .capture_output = true}).out, bytes);
}

TEST_F(Run, CheckThrowsCalledProcessErrorWithOutput) {
  try {
    run({"sh", "-c", "echo so; echo se >&2; exit 1"}, {.capture_output = true, .check = true});
    FAIL() << "no exception";
  } catch (const CalledProcessError& e) {
    EXPECT_EQ(e.returncode, 1);
    EXPECT_EQ(e.out, "so\n");
    EXPECT_EQ(e.err, "se\n");
    EXPECT_EQ(e.cmd.at(0), "sh");
    EXPECT_STREQ(e.what(),
                 "Command 'sh -c 'echo so; echo se >&2; exit 1'' returned non-zero exit status 1.");
  }
}

TEST_F(Run, CheckReturncodeOnlyThrowsForNonZero) {
  EXPECT_NO_THROW(run({"true"}).check_returncode());
  EXPECT_THROW(run({"false"}).check_returncode(), CalledProcessError);
  EXPECT_THROW(run({"false"}).check_returncode(), SubprocessError);
}

TEST_F(Run, SignalDeathIsNegativeReturncode) {
  EXPECT_EQ(run({"sh", "-c", "kill -9 $$"}).returncode, -SIGKILL);
  EXPECT_EQ(run({"sh", "-c", "kill -TERM $$"}).returncode, -SIGTERM);
  try {
    run({"sh", "-c", "kill -9 $$"}, {.check = true});
    FAIL();
  } catch (const CalledProcessError& e) {
    EXPECT_EQ(e.returncode, -9);
    EXPECT_STREQ(e.what(), "Command 'sh -c 'kill -9 $$'' died with SIGKILL.");
  }
}

TEST_F(Run, TimeoutKillsReapsAndKeepsPartialOutput) {
  const auto start = std::chrono::steady_clock::now();
  try {
    run({"sh", "-c", "echo started; echo e >&2; exec sleep 30"},
        {.capture_output = true, .timeout = 300ms});
    FAIL() << "no timeout";
  } catch (const TimeoutExpired& e) {
    EXPECT_EQ(e.out, "started\n");
    EXPECT_EQ(e.err, "e\n");
    EXPECT_DOUBLE_EQ(e.timeout.count(), 0.3);
    EXPECT_STREQ(
        e.what(),
        "Command 'sh -c 'echo started; echo e >&2; exec sleep 30'' timed out after 0.3 seconds");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(Run, TimeoutWithoutPipes) {
  EXPECT_THROW(run({"sleep", "30"}, {.timeout = 50ms}), TimeoutExpired);
}

TEST_F(Run, CallReturnsReturncode) {
  EXPECT_EQ(call({"sh", "-c", "exit 7"}), 7);
  EXPECT_THROW(call({"sleep", "30"}, {.timeout = 50ms}), TimeoutExpired);
}

TEST_F(Run, CheckCallThrowsOnFailure) {
  EXPECT_NO_THROW(check_call({"true"}));
  EXPECT_THROW(check_call({"false"}), CalledProcessError);
}

TEST_F(Run, CheckOutputReturnsStdout) {
  EXPECT_EQ(check_output({"echo", "hi"}), "hi\n");
  EXPECT_THROW(check_output({"sh", "-c", "echo x; exit 2"}), CalledProcessError);
}

TEST_F(Run, GetoutputMergesStreamsAndStripsOneNewline) {
  EXPECT_EQ(getoutput("echo a; echo b >&2"), "a\nb");
  EXPECT_EQ(getoutput("printf 'x\\n\\n'"), "x\n");
  auto [code, out] = getstatusoutput("echo nope; exit 4");
  EXPECT_EQ(code, 4);
  EXPECT_EQ(out, "nope");
  EXPECT_EQ(getstatusoutput("true"), (std::pair<int, std::string>{0, ""}));
}

TEST_F(Run, ShellRunsCommandLineWithPositionalArgs) {
  auto r =
      run({"echo \"$0-$1\" | tr a-z A-Z", "zero", "one"}, {.capture_output = true, .shell = true});
  EXPECT_EQ(r.out, "ZERO-ONE\n");
}

TEST_F(Run, ExecutableReplacesProgramButKeepsArgv0) {
  auto r = run({"my-name", "-c", "echo $0"}, {.capture_output = true, .executable = "/bin/sh"});
  EXPECT_EQ(r.out, "my-name\n");
}

TEST_F(Run, EnvReplacesEnvironmentAndItsPathFindsPrograms) {
  auto r = run({"sh", "-c", "echo \"$A:$HOME\""},
               {.capture_output = true, .env = {{{"A", "1"}, {"PATH", "/usr/bin:/bin"}}}});
  EXPECT_EQ(r.out, "1:\n");
  EXPECT_THROW(run({"sh", "-c", "true"}, {.env = {{{"PATH", "/nonexistent"}}}}), SpawnError);
}

TEST_F(Run, EmptyEnvUsesDefaultPath) {
  EXPECT_EQ(run({"env"}, {.capture_output = true, .env = std::map<std::string, std::string>{}}).out,
            "");
}

TEST_F(Run, CwdChangesWorkingDirectory) {
  const auto dir = temp_dir("cwd");
  auto r = run({"pwd"}, {.capture_output = true, .cwd = dir});
  EXPECT_EQ(r.out, fs::canonical(dir).string() + "\n");
  fs::remove_all(dir);
}

TEST_F(Run, UmaskAppliesToChild) {
  EXPECT_EQ(run({"sh", "-c", "umask"}, {.capture_output = true, .umask = 027}).out, "0027\n");
  EXPECT_EQ(run({"sh", "-c", "umask"}, {.capture_output = true, .umask = 0}).out, "0000\n");
}

TEST_F(Run, TextNormalisesNewlines) {
  auto r = run({"printf", "a\\r\\nb\\rc\\n"}, {.capture_output = true, .text = true});
  EXPECT_EQ(r.out, "a\nb\nc\n");
  auto raw = run({"printf", "a\\r\\nb"}, {.capture_output = true});
  EXPECT_EQ(raw.out, "a\r\nb");
}

TEST_F(Run, RedirectsToFilesAndFromFiles) {
  const auto dir = temp_dir("files");
  run({"sh", "-c", "echo o; echo e >&2"}, {.out = dir / "o.txt", .err = dir / "e.txt"});
  EXPECT_EQ(slurp(dir / "o.txt"), "o\n");
  EXPECT_EQ(slurp(dir / "e.txt"), "e\n");
  EXPECT_EQ(run({"cat"}, {.in = dir / "o.txt", .out = PIPE}).out, "o\n");
  EXPECT_THROW(run({"cat"}, {.in = dir / "missing"}), SpawnError);
  fs::remove_all(dir);
}

TEST_F(Run, RedirectsToOurFd) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  run({"echo", "via fd"}, {.out = fds[1]});
  ::close(fds[1]);
  char buf[64];
  const auto n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0))), "via fd\n");
}

TEST_F(Run, ErrToStdoutMerges) {
  auto r = run({"sh", "-c", "echo 1; echo 2 >&2; echo 3"}, {.out = PIPE, .err = STDOUT});
  EXPECT_EQ(r.out, "1\n2\n3\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(Run, DevnullDiscardsAndGivesEof) {
  auto r =
      run({"sh", "-c", "cat; echo done; echo x >&2"}, {.in = DEVNULL, .out = PIPE, .err = DEVNULL});
  EXPECT_EQ(r.out, "done\n");
}

TEST_F(Run, InvalidCombinationsThrowInvalidArgument) {
  EXPECT_THROW(run({"true"}, {.in = PIPE, .input = "x"}), std::invalid_argument);
  EXPECT_THROW(run({"true"}, {.out = PIPE, .capture_output = true}), std::invalid_argument);
  EXPECT_THROW(run({"true"}, {.out = STDOUT}), std::invalid_argument);
  EXPECT_THROW(run({}), std::invalid_argument);
}
