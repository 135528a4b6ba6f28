// Options that set up the child before exec: user, group, extra_groups (derived from CPython's
// test_subprocess: test_user, test_group, test_extra_groups), rlimits, pipesize (CPython's
// test_pipesizes), extra_env.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <concur/subprocess.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.hpp"

using namespace concur::subprocess;
namespace fs = std::filesystem;

namespace {

class ChildSetup : public concur::test::NoLeakTest {};

std::string out_of(std::vector<std::string> args, Options o = {}) {
  o.capture_output = true;
  o.check = true;
  return run(std::move(args), std::move(o)).out;
}

// A SpawnError whose message holds every one of `words`; nothing may have been started.
void expect_spawn_error(const Options& o, std::initializer_list<std::string> words) {
  try {
    Popen p({"true"}, o);
    ADD_FAILURE() << "spawned";
  } catch (const SpawnError& e) {
    EXPECT_EQ(e.program, "true");
    for (const auto& w : words)
      EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what() << " lacks " << w;
  }
  EXPECT_TRUE(concur::test::children_of_self().empty());
}

bool is_root() { return ::geteuid() == 0; }

std::string nobody_uid() {
  const passwd* pw = ::getpwnam("nobody");
  return pw != nullptr ? std::to_string(pw->pw_uid) : "";
}

}  // namespace

TEST_F(ChildSetup, UnknownUserIsSpawnErrorNamingIt) {
  expect_spawn_error({.user = "concur-no-such-user"}, {"user", "'concur-no-such-user'"});
  expect_spawn_error({.user = ""}, {"user"});
  expect_spawn_error({.user = "18446744073709551616"}, {"'18446744073709551616'"});  // overflow
  expect_spawn_error({.user = "-1"}, {"'-1'"});
}

TEST_F(ChildSetup, UnknownGroupIsSpawnErrorNamingIt) {
  expect_spawn_error({.group = "concur-no-such-group"}, {"group", "'concur-no-such-group'"});
  expect_spawn_error({.extra_groups = std::vector<std::string>{"0", "concur-no-such-group"}},
                     {"extra_groups", "'concur-no-such-group'"});
}

// CPython's test_user/test_group: a name with a NUL byte is a ValueError, not a shorter name.
TEST_F(ChildSetup, NulByteInUserOrGroupNameIsInvalidArgument) {
  using namespace std::string_literals;
  const std::string root_nul = "root\0x"s;
  for (const Options& o : {Options{.user = root_nul}, Options{.group = root_nul},
                           Options{.extra_groups = std::vector<std::string>{"0", root_nul}}}) {
    try {
      Popen p({"true"}, o);
      ADD_FAILURE() << "spawned";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("NUL"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(concur::test::children_of_self().empty());
}

TEST_F(ChildSetup, UnknownUserFailsBeforeAnyRedirectIsOpened) {
  const auto file = fs::temp_directory_path() / ("concur_nouser_" + std::to_string(::getpid()));
  EXPECT_THROW(Popen({"true"}, {.out = file, .user = "concur-no-such-user"}), SpawnError);
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(ChildSetup, UserByNameAndByNumberAsRoot) {
  if (!is_root()) GTEST_SKIP() << "needs root";
  const std::string uid = nobody_uid();
  ASSERT_FALSE(uid.empty());
  EXPECT_EQ(out_of({"id", "-u"}, {.user = "nobody"}), uid + "\n");
  EXPECT_EQ(out_of({"id", "-u"}, {.user = uid}), uid + "\n");
  // Real and saved ids too: the privileges are gone for good.
  EXPECT_EQ(
      out_of({"sh", "-c", "grep '^Uid:' /proc/self/status | tr -s '\\t ' ' '"}, {.user = "nobody"}),
      "Uid: " + uid + " " + uid + " " + uid + " " + uid + "\n");
  // As Python: `user` alone leaves the groups alone.
  EXPECT_EQ(out_of({"id", "-g"}, {.user = "nobody"}), "0\n");
}

TEST_F(ChildSetup, GroupAndExtraGroupsAsRoot) {
  if (!is_root()) GTEST_SKIP() << "needs root";
  EXPECT_EQ(out_of({"id", "-G"}, {.user = "nobody",
                                  .group = "65534",
                                  .extra_groups = std::vector<std::string>{"12345", "23456"}}),
            "65534 12345 23456\n");
  EXPECT_EQ(
      out_of({"id", "-G"},
             {.user = "nobody", .group = "65534", .extra_groups = std::vector<std::string>{}}),
      "65534\n");
  const group* root_group = ::getgrgid(0);
  ASSERT_NE(root_group, nullptr);
  EXPECT_EQ(out_of({"id", "-g"}, {.group = root_group->gr_name}), "0\n");
}

TEST_F(ChildSetup, ExecRunsWithTheNewIdentity) {
  if (!is_root()) GTEST_SKIP() << "needs root";
  const auto script = fs::temp_directory_path() / ("concur_rootonly_" + std::to_string(::getpid()));
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  fs::permissions(script, fs::perms::owner_all);  // 0700, owned by root
  try {
    Popen p({script.string()}, {.user = "nobody"});
    ADD_FAILURE() << "nobody executed a 0700 root file";
  } catch (const SpawnError& e) {
    EXPECT_EQ(e.code(), std::errc::permission_denied) << e.what();
  }
  EXPECT_EQ(out_of({script.string()}), "hi\n");
  fs::remove(script);
}

TEST_F(ChildSetup, RlimitsAreSeenByTheChild) {
  EXPECT_EQ(out_of({"sh", "-c", "ulimit -n; ulimit -Hn"}, {.rlimits = {{RLIMIT_NOFILE, 123}}}),
            "123\n123\n");
  EXPECT_EQ(out_of({"sh", "-c", "ulimit -t; ulimit -c"},
                   {.rlimits = {{RLIMIT_CPU, 77}, {RLIMIT_CORE, 0}}}),
            "77\n0\n");
  rlimit ours{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &ours), 0);
  EXPECT_NE(ours.rlim_cur, 123u);  // the parent's limits are untouched
}

TEST_F(ChildSetup, RefusedRlimitIsSpawnErrorNamingTheResource) {
  // Above fs.nr_open even root may not go.
  EXPECT_THROW(Popen({"true"}, {.rlimits = {{RLIMIT_NOFILE, RLIM_INFINITY}}}), SpawnError);
  expect_spawn_error({.rlimits = {{RLIMIT_NOFILE, RLIM_INFINITY}}}, {"setrlimit", "RLIMIT_NOFILE"});
  EXPECT_THROW(Popen({"true"}, {.rlimits = {{-1, 1}}}), std::invalid_argument);
  EXPECT_THROW(Popen({"true"}, {.rlimits = {{RLIM_NLIMITS, 1}}}), std::invalid_argument);
}

TEST_F(ChildSetup, PipesizeAppliesToEveryPipe) {
  const int page = static_cast<int>(::sysconf(_SC_PAGESIZE));
  for (const int size : {page, 32 * page}) {
    Popen p({"cat"},
            {.in = PIPE, .out = PIPE, .err = PIPE, .pipesize = static_cast<std::size_t>(size)});
    for (PipeStream* s : {&p.in(), &p.out(), &p.err()})
      EXPECT_EQ(::fcntl(s->fileno(), F_GETPIPE_SZ), size);
    EXPECT_EQ(p.communicate("x").out, "x");
  }
  EXPECT_THROW(Popen({"true"}, {.pipesize = std::size_t{1} << 40}), std::invalid_argument);
}

TEST_F(ChildSetup, DefaultPipesizeIsTheSystems) {
  Popen p({"cat"}, {.in = PIPE, .out = PIPE, .pipesize = 0});
  EXPECT_EQ(::fcntl(p.out().fileno(), F_GETPIPE_SZ), 16 * ::sysconf(_SC_PAGESIZE));
  p.communicate();
}

TEST_F(ChildSetup, ExtraEnvAddsToOurEnvironment) {
  const char* home = std::getenv("HOME");
  const std::string ours = home != nullptr ? home : "";
  EXPECT_EQ(out_of({"sh", "-c", "echo \"$CONCUR_X:$HOME\""}, {.extra_env = {{"CONCUR_X", "1"}}}),
            "1:" + ours + "\n");
}

TEST_F(ChildSetup, ExtraEnvOverridesEnvAndItsPathFindsPrograms) {
  EXPECT_EQ(
      out_of({"sh", "-c", "echo $A$B"}, {.env = {{{"A", "1"}, {"PATH", "/nonexistent"}}},
                                         .extra_env = {{"B", "2"}, {"PATH", "/bin:/usr/bin"}}}),
      "12\n");
}

TEST_F(ChildSetup, IllegalEnvironmentNamesAreInvalidArgument) {
  EXPECT_THROW(Popen({"true"}, {.extra_env = {{"A=B", "1"}}}), std::invalid_argument);
  EXPECT_THROW(Popen({"true"}, {.env = {{{"A=B", "1"}}}}), std::invalid_argument);
  EXPECT_THROW(Popen({"true"}, {.extra_env = {{"A", std::string("x\0y", 3)}}}),
               std::invalid_argument);
  EXPECT_THROW(Popen({std::string("tr\0ue", 5)}), std::invalid_argument);
}
