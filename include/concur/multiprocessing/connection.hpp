// concur/multiprocessing/connection.hpp — Pipe() and its Connection ends.
//
//   auto [parent_end, child_end] = concur::multiprocessing::Pipe();
//   Process p(+[](Connection c) { c.send(std::string("hello")); }, child_end);
//   p.start();
//   std::string s = parent_end.recv<std::string>();
//
// A Connection is a handle to one end of a unix socketpair; copies share the end, which is
// closed with its last copy (or by close()). Values travel serialized as task arguments do;
// handles inside them (SharedArray, Connection...) travel as fds. recv<T>() must name the
// type that was sent. recv() throws EOFError once the other end is closed and drained; send()
// throws std::system_error (EPIPE) if the other end is closed.
//
// Thread safety: like Python's, a Connection is not safe for concurrent send()s or recv()s.
#pragma once

#include <atomic>
#include <memory>
#include <utility>

#include "concur/duration.hpp"
#include "concur/multiprocessing/detail/wire.hpp"
#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing {

/// recv() on a connection whose other end is closed (Python's EOFError).
struct EOFError : ProcessError {
  using ProcessError::ProcessError;
};

class Connection {
 public:
  /// Takes ownership of a connected socket fd. An empty handle if fd < 0.
  explicit Connection(int fd = -1);

  template <class T>
  void send(const T& obj) {
    std::string body;
    detail::FdList fds;
    detail::write_values(body, fds, obj);
    send_bytes_(body, fds);
  }
  template <class T>
  T recv() {
    std::string body;
    detail::FdList fds;
    recv_bytes_(body, fds);
    detail::Reader reader(body, fds);
    return reader.read<T>();
  }
  /// Whether data (or EOF) is available within `timeout`.
  bool poll(Duration timeout = Duration::zero());
  /// Closes this end (for every copy of the handle).
  void close();
  bool closed() const;
  int fileno() const;

  template <class Archive>
  void save(Archive& ar) const {
    ar(detail::attach_fd(fileno()));
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint32_t index = 0;
    ar(index);
    adopt_dup_(detail::attached_fd(index));
  }

 private:
  struct End;
  void send_bytes_(const std::string& body, detail::FdList& fds);
  void recv_bytes_(std::string& body, detail::FdList& fds);
  void adopt_dup_(int fd);
  std::shared_ptr<End> end_;
};

/// Two connected ends. duplex: both can send and receive; otherwise the first only receives
/// and the second only sends (as Python's Pipe(False)). Throws std::system_error.
std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace concur::multiprocessing
