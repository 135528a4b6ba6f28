// Connection, Listener/Client and wait(), after CPython's _TestConnection,
// _TestListenerClient, _TestAuthentication and _TestWait; plus hostile input (frames a peer
// may forge) and interoperation with this machine's python3.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <concur/multiprocessing.hpp>
#include <concur/subprocess.hpp>
#include <filesystem>
#include <future>
#include <string>
#include <system_error>
#include <thread>

#include "support/error_of.hpp"
#include "support/leak_check.hpp"

namespace mp = concur::multiprocessing;
namespace conn = concur::multiprocessing::connection;
namespace sp = concur::subprocess;
using namespace std::chrono_literals;

namespace {

class ConnectionTest : public concur::test::NoLeakTest {};

using concur::test::error_of;

std::string unix_path(const char* tag) {
  return (std::filesystem::temp_directory_path() /
          ("concur-conn-" + std::to_string(::getpid()) + "-" + tag))
      .string();
}

// Raw bytes straight onto the socket, as a forging peer would.
void raw(const mp::Connection& c, std::string_view bytes) {
  ASSERT_EQ(::send(c.fileno(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

// Accepts one client on another thread: true when accept() throws AuthenticationError.
std::future<bool> accept_refused(conn::Listener& listener) {
  return std::async(std::launch::async, [&listener] {
    try {
      listener.accept();
    } catch (const conn::AuthenticationError&) {
      return true;
    }
    return false;
  });
}

}  // namespace

TEST_F(ConnectionTest, SendBytesAndRecvBytesKeepMessageBoundaries) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  const std::string binary("\0\xff\x01zero", 7);
  a.send_bytes("hello");
  a.send_bytes("");
  a.send_bytes(binary);
  EXPECT_EQ(b.recv_bytes(), "hello");
  EXPECT_EQ(b.recv_bytes(), "");
  EXPECT_EQ(b.recv_bytes(), binary);
  std::thread big([&a] { a.send_bytes(std::string(3 << 20, 'x')); });  // > the socket buffer
  EXPECT_EQ(b.recv_bytes(), std::string(3 << 20, 'x'));
  big.join();
  EXPECT_FALSE(b.poll());
}

TEST_F(ConnectionTest, SendAndRecvCarryValuesBothWays) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  a.send(std::vector<int>{1, 2, 3});
  EXPECT_EQ(b.recv<std::vector<int>>(), (std::vector<int>{1, 2, 3}));
  b.send(std::string("back"));
  EXPECT_EQ(a.recv<std::string>(), "back");
}

TEST_F(ConnectionTest, RecvAfterThePeerClosedIsEOFErrorAndPollSeesIt) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  a.send_bytes("last");
  a.close();
  EXPECT_TRUE(b.poll());
  EXPECT_EQ(b.recv_bytes(), "last");
  EXPECT_TRUE(b.poll(1s));
  EXPECT_THROW(b.recv_bytes(), mp::EOFError);
  EXPECT_EQ(error_of([&] { b.send_bytes("x"); }), EPIPE);
}

TEST_F(ConnectionTest, PollWaitsAtMostItsTimeout) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  EXPECT_FALSE(b.poll());
  EXPECT_FALSE(b.poll(20ms));
  a.send_bytes("now");
  EXPECT_TRUE(b.poll(0s));
}

TEST_F(ConnectionTest, HalfDuplexPipeSendsOneWay) {
  auto rw_pair = mp::Pipe(false);  // named ends: clang 14 cannot capture bindings
  mp::Connection& r = rw_pair.first;
  mp::Connection& w = rw_pair.second;
  w.send_bytes("one way");
  EXPECT_EQ(r.recv_bytes(), "one way");
  EXPECT_EQ(error_of([&] { r.send_bytes("back"); }), EPIPE);
}

TEST_F(ConnectionTest, MessageOverMaxlengthIsRefusedAndTheConnectionStopsReading) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  a.send_bytes(std::string(100, 'x'));
  EXPECT_EQ(error_of([&] { b.recv_bytes(99); }), EMSGSIZE);
  EXPECT_THROW(b.recv_bytes(), mp::ProcessError);  // Python: no longer readable
  b.send_bytes("still writable");
  EXPECT_EQ(a.recv_bytes(), "still writable");
}

TEST_F(ConnectionTest, ConnectionLimitAppliesToRecvAndRecvBytes) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  b.set_max_message_size(16);
  EXPECT_EQ(b.max_message_size(), 16u);
  a.send(std::string(64, 'y'));
  EXPECT_EQ(error_of([&] { b.recv<std::string>(); }), EMSGSIZE);
}

TEST_F(ConnectionTest, ForgedHugeLengthIsRefusedBeforeAnyAllocation) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  raw(a, std::string("\xff\xff\xff\xff\x00\x00\x10\x00\x00\x00\x00\x00", 12));  // 16 TiB
  EXPECT_EQ(error_of([&] { b.recv_bytes(); }), EMSGSIZE);
}

TEST_F(ConnectionTest, NegativeLengthIsAMalformedHeader) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  raw(a, std::string("\x80\x00\x00\x05hello", 9));
  EXPECT_EQ(error_of([&] { b.recv_bytes(); }), EPROTO);
  EXPECT_THROW(b.recv_bytes(), mp::ProcessError);
}

TEST_F(ConnectionTest, PeerClosingMidMessageIsAnErrorNotAHang) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  raw(a, std::string("\x00\x00\x10\x00"
                     "abc",
                     7));  // announces 4096, sends 3
  a.close();
  EXPECT_EQ(error_of([&] { b.recv_bytes(); }), EPROTO);
  auto cd_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& c = cd_pair.first;
  mp::Connection& d = cd_pair.second;
  raw(c, std::string("\x00\x00", 2));  // half a header
  c.close();
  EXPECT_EQ(error_of([&] { d.recv_bytes(); }), EPROTO);
}

TEST_F(ConnectionTest, LongFormLengthIsAcceptedAsPythonWritesIt) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  raw(a, std::string("\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x02ok", 14));
  EXPECT_EQ(b.recv_bytes(), "ok");
}

TEST_F(ConnectionTest, WaitReturnsTheReadyOnesOrNothingOnTimeout) {
  auto ab_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& a = ab_pair.first;
  mp::Connection& b = ab_pair.second;
  auto cd_pair = mp::Pipe();  // named ends: clang 14 cannot capture bindings
  mp::Connection& c = cd_pair.first;
  mp::Connection& d = cd_pair.second;
  const std::vector<int> fds{b.fileno(), d.fileno()};
  EXPECT_TRUE(mp::wait(fds, 10ms).empty());
  EXPECT_TRUE(mp::wait(fds, 0s).empty());
  c.send_bytes("x");
  EXPECT_EQ(mp::wait(fds), (std::vector<std::size_t>{1}));
  a.send_bytes("y");
  EXPECT_EQ(mp::wait(fds, 1s), (std::vector<std::size_t>{0, 1}));
  EXPECT_THROW(mp::wait({9999}, 0s), std::invalid_argument);
}

TEST_F(ConnectionTest, WaitSeesAProcessSentinelWhenItEnds) {
  auto [a, b] = mp::Pipe();
  sp::Popen child({"sh", "-c", "read x"}, {.in = sp::PIPE});
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child.pid(), 0));  // a sentinel
  ASSERT_GE(pidfd, 0);
  const std::vector<int> fds{b.fileno(), pidfd};
  EXPECT_TRUE(mp::wait(fds, 0s).empty());
  child.in().close();  // the child's read ends: it exits
  EXPECT_EQ(mp::wait(fds, 5s), (std::vector<std::size_t>{1}));
  child.wait();
  ::close(pidfd);
}

TEST_F(ConnectionTest, ListenerAndClientTalkOverEveryAddressFamily) {
  for (std::string address :
       {unix_path("families"), std::string("127.0.0.1:0"), std::string("localhost:0"),
        std::string("\0concur-abstract-") + std::to_string(::getpid()), std::string()}) {
    conn::Listener listener(address, "key");
    const std::string bound = listener.address();
    if (address.find(":0") != std::string::npos) {
      EXPECT_NE(bound.substr(bound.rfind(':')), ":0");
    }
    auto served = std::async(std::launch::async, [&listener] {
      mp::Connection c = listener.accept();
      c.send_bytes(c.recv_bytes() + " pong");
      return c.recv<int>();
    });
    mp::Connection c = conn::Client(bound, "key");
    c.send_bytes("ping");
    EXPECT_EQ(c.recv_bytes(), "ping pong") << bound;
    c.send(42);
    EXPECT_EQ(served.get(), 42);
    listener.close();
    if (!bound.empty() && bound[0] == '/') {
      EXPECT_FALSE(std::filesystem::exists(bound));
    }
  }
}

// The client's own end, as the listener sees it: "ip:port" for TCP.
std::string local_address(const mp::Connection& c) {
  sockaddr_in in{};
  socklen_t len = sizeof in;
  if (::getsockname(c.fileno(), reinterpret_cast<sockaddr*>(&in), &len) != 0) return "?";
  char host[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
  return std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
}

TEST_F(ConnectionTest, LastAcceptedNamesThePeerEvenWhenItFailsTheChallenge) {
  conn::Listener tcp("127.0.0.1:0", "key");
  EXPECT_EQ(tcp.last_accepted(), std::nullopt);  // Python: None before the first accept
  auto served = std::async(std::launch::async, [&tcp] { return tcp.accept().recv<int>(); });
  mp::Connection c = conn::Client(tcp.address(), "key");
  c.send(1);
  EXPECT_EQ(served.get(), 1);
  EXPECT_EQ(tcp.last_accepted(), local_address(c));
  // A second client with a wrong key: recorded before the challenge, as Python does.
  auto refused = accept_refused(tcp);
  try {
    conn::Client(tcp.address(), "wrong");
  } catch (const conn::AuthenticationError&) {
  }
  EXPECT_TRUE(refused.get());
  ASSERT_TRUE(tcp.last_accepted().has_value());
  EXPECT_NE(*tcp.last_accepted(), local_address(c));  // another client port
  EXPECT_EQ(tcp.last_accepted()->rfind("127.0.0.1:", 0), 0u);

  conn::Listener unix_listener(unix_path("last"));
  auto got = std::async(std::launch::async, [&unix_listener] { return unix_listener.accept(); });
  mp::Connection u = conn::Client(unix_listener.address());
  got.get();
  EXPECT_EQ(unix_listener.last_accepted(), std::string());  // an unnamed client socket
}

TEST_F(ConnectionTest, ClientInAnotherProcessReachesTheListener) {
  conn::Listener listener("127.0.0.1:0", "secret");
  mp::Process p(
      +[](std::string address) {
        mp::Connection c = conn::Client(address, "secret");
        c.send(std::string("from child"));
        if (c.recv_bytes() != "ack") throw std::runtime_error("no ack");
      },
      listener.address());
  p.start();
  mp::Connection c = listener.accept();
  EXPECT_EQ(c.recv<std::string>(), "from child");
  c.send_bytes("ack");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_F(ConnectionTest, WrongAuthkeyFailsOnBothSides) {
  conn::Listener listener(unix_path("wrongkey"), "right");
  auto served = accept_refused(listener);
  EXPECT_THROW(conn::Client(listener.address(), "wrong"), conn::AuthenticationError);
  EXPECT_TRUE(served.get());
}

TEST_F(ConnectionTest, ClientWithoutAKeyCannotPassTheChallenge) {
  conn::Listener listener(unix_path("nokey"), "key");
  auto served = accept_refused(listener);
  mp::Connection c = conn::Client(listener.address());
  EXPECT_EQ(c.recv_bytes().rfind("#CHALLENGE#{sha256}", 0), 0u);
  c.send_bytes("not an hmac");
  EXPECT_TRUE(served.get());
  EXPECT_EQ(c.recv_bytes(), "#FAILURE#");
}

TEST_F(ConnectionTest, AnOversizedHandshakeMessageIsAnAuthenticationError) {
  conn::Listener listener(unix_path("bighandshake"));  // no key: we play a hostile server
  auto served = std::async(std::launch::async, [&listener] {
    mp::Connection c = listener.accept();
    c.send_bytes(std::string(300, '#'));  // Python caps handshake messages at 256 bytes
    return c.poll(5s);                    // the client hangs up
  });
  EXPECT_THROW(conn::Client(listener.address(), "key"), conn::AuthenticationError);
  EXPECT_TRUE(served.get());
}

TEST_F(ConnectionTest, AddressErrorsNameTheAddress) {
  const auto path = unix_path("inuse");
  conn::Listener first(path);
  EXPECT_EQ(error_of([&] { conn::Listener second(path); }), EADDRINUSE);
  EXPECT_EQ(error_of([&] { conn::Client(unix_path("missing")); }), ENOENT);
  int refused = 0;
  {
    conn::Listener tmp("127.0.0.1:0");
    const auto addr = tmp.address();
    tmp.close();
    refused = error_of([&] { conn::Client(addr); });
  }
  EXPECT_EQ(refused, ECONNREFUSED);
  EXPECT_THROW(conn::Listener(std::string(200, 'p')), std::invalid_argument);
  EXPECT_THROW(conn::Listener("host:99999"), std::invalid_argument);
  try {
    conn::Client(unix_path("missing"));
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

TEST_F(ConnectionTest, HandlesCannotTravelOverTcp) {
  conn::Listener listener("127.0.0.1:0");
  auto served = std::async(std::launch::async, [&listener] { return listener.accept(); });
  mp::Connection c = conn::Client(listener.address());
  mp::Connection server = served.get();
  EXPECT_THROW(c.send(mp::SharedMemory(16)), mp::ProcessError);
  c.send_bytes("still fine");
  EXPECT_EQ(server.recv_bytes(), "still fine");
}
