// Interoperation with this machine's python3 (each case starts an interpreter, so they are
// slow-labelled): named SharedMemory attached both ways, and Listener/Client with Python's
// HMAC challenge (3.11's legacy HMAC-MD5 against our "{sha256}" challenge).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <concur/multiprocessing.hpp>
#include <concur/subprocess.hpp>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
namespace conn = concur::multiprocessing::connection;
namespace sp = concur::subprocess;

namespace {

class PythonInterop : public concur::test::NoLeakTest {
 protected:
  std::string fresh_name() {
    static std::atomic<int> counter{0};
    return "concur_pytest_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  }
};

std::optional<sp::CompletedProcess> python(const std::string& code) {
  try {
    return sp::run({"python3", "-c", code}, {.capture_output = true});
  } catch (const sp::SpawnError&) {
    return std::nullopt;
  }
}

bool have_python() {
  const auto r = python("import multiprocessing.connection");
  return r && r->returncode == 0;
}

std::string unix_path(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("concur-pyconn-" + std::to_string(::getpid()) + "-" + tag))
      .string();
}

}  // namespace

TEST_F(PythonInterop, PythonAttachesOurBlockAndWeAttachPythons) {
  const auto name = fresh_name();
  mp::SharedMemory made(name, true, 1000);
  std::memcpy(made.buf().data(), "from c++", 8);
  // Python 3.11 registers attached blocks with its resource tracker, which would unlink ours
  // at exit (bpo-39959): unregister, as real programs do.
  const auto r = python(
      "from multiprocessing import shared_memory, resource_tracker\n"
      "s = shared_memory.SharedMemory('" +
      name +
      "')\n"
      "resource_tracker.unregister(s._name, 'shared_memory')\n"
      "print(bytes(s.buf[:8]).decode(), s.size >= 1000)\n"
      "s.buf[:6] = b'python'\n"
      "s.close()\n"
      "t = shared_memory.SharedMemory('" +
      name +
      "_py', create=True, size=64)\n"
      "resource_tracker.unregister(t._name, 'shared_memory')\n"
      "t.buf[:3] = b'abc'\n"
      "print(t.name)\n"
      "t.close()\n");
  if (!r) GTEST_SKIP() << "python3 not found";
  ASSERT_EQ(r->returncode, 0) << r->err;
  EXPECT_EQ(r->out, "from c++ True\n" + name + "_py\n");
  EXPECT_EQ(std::memcmp(made.buf().data(), "python++", 8), 0);
  made.unlink();
  mp::SharedMemory theirs(name + "_py", false);
  EXPECT_EQ(theirs.name(), name + "_py");
  EXPECT_EQ(std::memcmp(theirs.buf().data(), "abc", 3), 0);
  theirs.unlink();
}

TEST_F(PythonInterop, PythonClientAuthenticatesToOurListener) {
  if (!have_python()) GTEST_SKIP() << "python3 not found";
  for (bool tcp : {false, true}) {
    conn::Listener listener(tcp ? "127.0.0.1:0" : unix_path("pyclient"), "pw");
    const auto a = listener.address();
    const std::string addr =
        tcp ? "('127.0.0.1', " + a.substr(a.rfind(':') + 1) + ")" : "'" + a + "'";
    sp::Popen py({"python3", "-c",
                  "from multiprocessing.connection import Client\n"
                  "c = Client(" +
                      addr +
                      ", authkey=b'pw')\n"
                      "c.send_bytes(b'from python')\n"
                      "print(c.recv_bytes().decode())\n"},
                 {.out = sp::PIPE, .err = sp::PIPE});
    mp::Connection c = listener.accept();
    EXPECT_EQ(c.recv_bytes(), "from python");
    c.send_bytes("from c++");
    const auto out = py.communicate();
    EXPECT_EQ(py.returncode(), 0) << out.err;
    EXPECT_EQ(out.out, "from c++\n");
  }
}

TEST_F(PythonInterop, OurClientAuthenticatesToPythonsListenerAndAWrongKeyFailsThere) {
  if (!have_python()) GTEST_SKIP() << "python3 not found";
  sp::Popen py({"python3", "-c",
                "import sys\n"
                "from multiprocessing.connection import Listener, AuthenticationError\n"
                "l = Listener(('127.0.0.1', 0), authkey=b'pw')\n"
                "print('%s:%d' % l.address, flush=True)\n"
                "c = l.accept()\n"
                "c.send_bytes(c.recv_bytes()[::-1])\n"
                "try:\n"
                "    l.accept()\n"
                "except AuthenticationError:\n"
                "    print('rejected')\n"},
               {.out = sp::PIPE, .err = sp::PIPE});
  auto line = py.out().readline();
  ASSERT_TRUE(line.has_value());
  line->pop_back();
  mp::Connection c = conn::Client(*line, "pw");
  c.send_bytes("abc");
  EXPECT_EQ(c.recv_bytes(), "cba");
  EXPECT_THROW(conn::Client(*line, "not pw"), conn::AuthenticationError);
  const auto out = py.communicate();
  EXPECT_EQ(py.returncode(), 0) << out.err;
  EXPECT_EQ(out.out, "rejected\n");
}
