// concur/multiprocessing/connection.hpp — Pipe() and its Connection ends; Listener and Client
// (Python's multiprocessing.connection) for processes that are not parent and child; wait().
//
//   auto [parent_end, child_end] = concur::multiprocessing::Pipe();
//   Process p(+[](Connection c) { c.send(std::string("hello")); }, child_end);
//   p.start();
//   std::string s = parent_end.recv<std::string>();
//
//   namespace conn = concur::multiprocessing::connection;
//   conn::Listener listener("127.0.0.1:0", "secret");      // or a path: AF_UNIX
//   // elsewhere: auto c = conn::Client(address, "secret"); c.send_bytes("ping");
//   Connection c = listener.accept();                      // AuthenticationError on a wrong key
//   std::string msg = c.recv_bytes();
//
// A Connection is a handle to one end of a stream socket; copies share the end, which is
// closed with its last copy (or by close()). Messages are framed as Python's
// multiprocessing.connection frames them, so send_bytes()/recv_bytes() interoperate with
// Python's Connection, Listener and Client (Python 3.11's legacy HMAC-MD5 challenge and
// 3.12's "{sha256}" one). send<T>()/recv<T>() carry values serialized as task arguments are
// (cereal binary; not pickle): recv<T>() must name the type that was sent. Handles inside
// them (SharedArray, Connection...) travel as fds, which only an AF_UNIX connection carries.
//
// Received bytes are untrusted: a message longer than the connection's limit (1 GiB unless
// set_max_message_size() says otherwise, or recv_bytes(maxlength)) or with a malformed header
// throws std::system_error (EMSGSIZE / EPROTO) without being read into memory, and the
// connection stops being readable (as Python's); memory grows only with the bytes that
// actually arrive. recv<T>() decodes what an authenticated peer sent: from a peer you do not
// trust, use recv_bytes() and parse the bytes yourself.
// recv throws EOFError once the other end is closed and drained; send throws
// std::system_error (EPIPE) if the other end is closed (never SIGPIPE).
//
// Thread safety: as Python's, one Connection is not safe for concurrent send()s, nor for
// concurrent recv()s; one sender and one receiver on two threads is fine. Listener: one thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concur/duration.hpp"
#include "concur/multiprocessing/detail/wire.hpp"
#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing {

/// recv() on a connection whose other end is closed (Python's EOFError).
struct EOFError : ProcessError {
  using ProcessError::ProcessError;
};

/// One end of a message connection (Python's multiprocessing.connection.Connection): Pipe()
/// makes two, Listener::accept() and Client() one. Messages are length-prefixed frames;
/// values travel serialised (handles as fds over AF_UNIX). Copies share the end.
/// Thread safety: one thread may send while another receives; two concurrent senders (or
/// receivers) on one end must be serialised by the caller, as in Python.
/// @code
/// auto [a, b] = concur::multiprocessing::Pipe();
/// a.send(std::string("hi"));
/// std::string s = b.recv<std::string>();
/// @endcode
class Connection {
 public:
  /// Takes ownership of a connected stream socket (or pipe) fd. An empty handle if fd < 0.
  explicit Connection(int fd = -1);

  /// Sends `obj` serialized (handles as fds). Throws std::system_error (EPIPE: peer closed),
  /// ProcessError on a closed connection or a handle over a non-AF_UNIX socket.
  template <class T>
  void send(const T& obj) {
    std::string body;
    detail::FdList fds;
    detail::write_values(body, fds, obj);
    send_frame_(body, &fds);
  }
  /// Receives one value sent by send<T>(). Throws EOFError, std::system_error (see above),
  /// cereal::Exception if the bytes are not a T.
  template <class T>
  T recv() {
    std::string body;
    detail::FdList fds;
    recv_frame_(body, &fds, std::nullopt);
    detail::Reader reader(body, fds);
    return reader.read<T>();
  }
  /// Sends `bytes` as one message (Python's send_bytes). Throws as send().
  void send_bytes(std::string_view bytes) { send_frame_(bytes, nullptr); }
  /// Receives one whole message (Python's recv_bytes). A message longer than `maxlength`
  /// (default: max_message_size()) throws std::system_error(EMSGSIZE) and leaves the
  /// connection unreadable, as Python's OSError("bad message length"). Throws EOFError at EOF.
  std::string recv_bytes(std::optional<std::size_t> maxlength = std::nullopt) {
    std::string body;
    recv_frame_(body, nullptr, maxlength);
    return body;
  }
  /// The longest message recv()/recv_bytes() accept (default 1 GiB). Shared by all copies.
  void set_max_message_size(std::size_t n);
  /// The longest message recv()/recv_bytes() accept (see set_max_message_size()).
  std::size_t max_message_size() const;

  /// Whether data (or EOF) is available within `timeout`. Throws ProcessError if closed.
  bool poll(Duration timeout = Duration::zero());
  /// Closes this end (for every copy of the handle). Never throws.
  void close();
  /// Whether this end is closed (close() on any copy of it) or an empty handle.
  bool closed() const;
  /// The socket's fd (for wait(), poll, epoll); -1 once closed.
  int fileno() const;

  /// Serialisation (cereal): the socket's fd travels (SCM_RIGHTS); the receiver gets a
  /// duplicate of this end.
  template <class Archive>
  void save(Archive& ar) const {
    ar(detail::attach_fd(fileno()));
  }
  /// Adopts an end written by save().
  template <class Archive>
  void load(Archive& ar) {
    std::uint32_t index = 0;
    ar(index);
    adopt_dup_(detail::attached_fd(index));
  }

 private:
  struct End;
  void send_frame_(std::string_view body, detail::FdList* fds);
  void recv_frame_(std::string& body, detail::FdList* fds, std::optional<std::size_t> max);
  void adopt_dup_(int fd);
  std::shared_ptr<End> end_;
};

/// Two connected ends. duplex: both can send and receive; otherwise the first only receives
/// and the second only sends (as Python's Pipe(False)). Throws std::system_error.
std::pair<Connection, Connection> Pipe(bool duplex = true);

/// Python's multiprocessing.connection.wait: waits until at least one of `fds` (Connection
/// filenos, Process sentinels, any pollable fd) is readable or hung up, or `timeout` passes
/// (nullopt: forever; <= 0: just look). Returns the indexes of the ready ones, in order;
/// empty on timeout. Throws std::invalid_argument for an fd that is not open.
std::vector<std::size_t> wait(std::span<const int> fds, std::optional<Duration> timeout = {});
inline std::vector<std::size_t> wait(std::initializer_list<int> fds,
                                     std::optional<Duration> timeout = {}) {
  return wait(std::span<const int>(fds.begin(), fds.size()), timeout);
}

namespace connection {

/// The HMAC challenge failed: a wrong key (on either side), or a peer that does not speak
/// the protocol. The connection is closed.
struct AuthenticationError : ProcessError {
  using ProcessError::ProcessError;
};

/// A bound, listening socket (Python's multiprocessing.connection.Listener). Move-only.
/// `address`: "host:port" (TCP; port 0 picks a free one; "[::1]:port" for IPv6) or a
/// filesystem path (AF_UNIX; a leading '\0' names an abstract socket); "" makes a fresh
/// AF_UNIX path in a private temporary directory. With an `authkey`, accept() runs the HMAC
/// challenge both ways. Throws std::invalid_argument for a malformed address,
/// std::system_error (EADDRINUSE...) naming the address.
class Listener {
 public:
  /// Binds and listens on `address` (see the class) with a listen queue of `backlog`.
  explicit Listener(std::string address, std::optional<std::string> authkey = {},
                    int backlog = 128);
  ~Listener();  // close()
  /// Takes over the socket; the source is left closed.
  Listener(Listener&&) noexcept;
  /// Closes this listener, then takes over the other one's socket.
  Listener& operator=(Listener&&) noexcept;

  /// Waits for a client and returns its connection, authenticated if there is a key.
  /// Throws AuthenticationError (the client's connection is closed; the Listener goes on),
  /// ProcessError after close(), std::system_error.
  Connection accept();
  /// The bound address: "ip:port" with the real port for TCP, the path for AF_UNIX.
  std::string address() const;
  /// Where the last accepted connection came from (Python's last_accepted): "ip:port" for
  /// TCP, the client socket's path for AF_UNIX ("" when it has none, as usual); nullopt
  /// before the first accept(). Set before the challenge, so also for a client that failed it.
  std::optional<std::string> last_accepted() const;
  /// Stops listening; an AF_UNIX path (or temporary directory) we made is removed.
  void close();
  /// The listening socket's fd (readable when a client is waiting); -1 once closed.
  int fileno() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Connects to a Listener at `address` (as Listener's) and, with an `authkey`, answers and
/// delivers the HMAC challenge. Throws AuthenticationError, std::system_error (ECONNREFUSED,
/// ENOENT...) naming the address, std::invalid_argument for a malformed address.
Connection Client(std::string address, std::optional<std::string> authkey = {});

}  // namespace connection

using AuthenticationError = connection::AuthenticationError;

}  // namespace concur::multiprocessing
