// Listener and Client: AF_UNIX paths and TCP host:port, as Python's
// multiprocessing.connection, with the HMAC challenge of auth.cpp.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "concur/detail/core/error.hpp"
#include "concur/detail/core/fd.hpp"
#include "concur/multiprocessing/connection.hpp"
#include "multiprocessing/auth.hpp"

namespace concur::multiprocessing::connection {
namespace {

using concur::detail::UniqueFd;

struct Address {
  bool tcp = false;
  std::string host, port;  // tcp
  std::string path;        // unix ('\0'-led: abstract)
};

// "host:port" with a numeric port and no '/' is TCP ("[v6]:port" too); anything else a path.
Address parse(const std::string& address) {
  Address a;
  const auto colon = address.rfind(':');
  const bool slash = address.find('/') != std::string::npos;
  if (!slash && colon != std::string::npos && colon + 1 < address.size() &&
      address.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
      !(address.size() > 0 && address[0] == '\0')) {
    a.tcp = true;
    a.host = address.substr(0, colon);
    a.port = address.substr(colon + 1);
    if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']')
      a.host = a.host.substr(1, a.host.size() - 2);
    if (a.host.empty() || a.port.size() > 5 || std::stoul(a.port) > 65535)
      throw std::invalid_argument("concur::multiprocessing: bad TCP address '" + address +
                                  "' (want host:port, port 0..65535)");
    return a;
  }
  if (address.empty() || address.size() >= sizeof(sockaddr_un::sun_path))
    throw std::invalid_argument(
        "concur::multiprocessing: bad AF_UNIX address '" + address + "' (a path of 1.." +
        std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes, or host:port for TCP)");
  a.path = address;
  return a;
}

std::pair<sockaddr_un, socklen_t> unix_sockaddr(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  return {sa, static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                     (path[0] == '\0' ? 0 : 1))};
}

[[noreturn]] void throw_at(int err, const char* call, const std::string& address) {
  throw std::system_error(err, std::generic_category(),
                          std::string("concur::multiprocessing: ") + call + "(" + address + ")");
}

struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() {
    if (list != nullptr) ::freeaddrinfo(list);
  }
};

void resolve(const Address& a, bool passive, AddrInfo& out, const std::string& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  const int rc = ::getaddrinfo(a.host.c_str(), a.port.c_str(), &hints, &out.list);
  if (rc != 0)
    throw std::system_error(
        rc == EAI_SYSTEM ? errno : EHOSTUNREACH, std::generic_category(),
        "concur::multiprocessing: getaddrinfo(" + address + "): " + ::gai_strerror(rc));
}

void no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // best effort
}

// "ip:port", "[ip6]:port", or an AF_UNIX peer's path ("" for an unnamed socket).
std::string format_address(const sockaddr_storage& ss, socklen_t len) {
  if (ss.ss_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
    const auto at = offsetof(sockaddr_un, sun_path);
    if (len <= at) return {};
    const std::size_t n = std::min<std::size_t>(len - at, sizeof un->sun_path);
    std::string path(un->sun_path, n);
    if (!path.empty() && path.front() != '\0') path.resize(std::strlen(path.c_str()));
    return path;
  }
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
  return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

std::string sockname(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0)
    concur::detail::throw_errno("concur::multiprocessing: getsockname");
  return format_address(ss, len);
}

void authenticate(Connection& c, const std::optional<std::string>& key, bool server) {
  if (!key) return;
  try {
    if (server) {
      detail::deliver_challenge(c, *key);
      detail::answer_challenge(c, *key);
    } else {
      detail::answer_challenge(c, *key);
      detail::deliver_challenge(c, *key);
    }
  } catch (...) {
    c.close();
    throw;
  }
}

}  // namespace

struct Listener::Impl {
  UniqueFd fd;
  std::string address;                // as bound (TCP: the real port)
  std::string unlink_path, temp_dir;  // what close() removes
  std::optional<std::string> authkey;
  std::optional<std::string> last_accepted;
  bool tcp = false;
};

Listener::Listener(std::string address, std::optional<std::string> authkey, int backlog)
    : impl_(std::make_unique<Impl>()) {
  impl_->authkey = std::move(authkey);
  if (address.empty()) {  // Python's arbitrary_address('AF_UNIX'): a fresh private path
    std::string tmpl = (std::filesystem::temp_directory_path() / "concur-listener-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw_at(errno, "mkdtemp", tmpl);
    impl_->temp_dir = tmpl;
    address = tmpl + "/sock";
  }
  try {
    const Address a = parse(address);
    impl_->tcp = a.tcp;
    if (a.tcp) {
      AddrInfo ai;
      resolve(a, true, ai, address);
      int err = EADDRNOTAVAIL;
      for (addrinfo* p = ai.list; p != nullptr; p = p->ai_next) {
        UniqueFd s(::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol));
        if (!s) {
          err = errno;
          continue;
        }
        const int one = 1;
        ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(s.get(), p->ai_addr, p->ai_addrlen) == 0) {
          impl_->fd = std::move(s);
          break;
        }
        err = errno;
      }
      if (!impl_->fd) throw_at(err, "bind", address);
      if (::listen(impl_->fd.get(), backlog) < 0) throw_at(errno, "listen", address);
      impl_->address = sockname(impl_->fd.get());
    } else {
      impl_->fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (!impl_->fd) throw_at(errno, "socket", address);
      const auto [sa, len] = unix_sockaddr(a.path);
      if (::bind(impl_->fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) < 0)
        throw_at(errno, "bind", address);
      if (a.path[0] != '\0') impl_->unlink_path = a.path;
      if (::listen(impl_->fd.get(), backlog) < 0) throw_at(errno, "listen", address);
      impl_->address = a.path;
    }
  } catch (...) {
    close();
    throw;
  }
}

Listener::~Listener() { close(); }
Listener::Listener(Listener&&) noexcept = default;
Listener& Listener::operator=(Listener&& o) noexcept {
  if (this != &o) {
    close();
    impl_ = std::move(o.impl_);
  }
  return *this;
}

Connection Listener::accept() {
  if (!impl_ || !impl_->fd) throw ProcessError("concur::multiprocessing: the Listener is closed");
  int c;
  sockaddr_storage peer{};
  socklen_t len = 0;
  do {
    len = sizeof peer;
    c = ::accept4(impl_->fd.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  } while (c < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (c < 0) throw_at(errno, "accept", impl_->address);
  if (impl_->tcp) no_delay(c);
  Connection conn(c);
  impl_->last_accepted = format_address(peer, len);  // before the challenge, as Python
  authenticate(conn, impl_->authkey, true);
  return conn;
}

std::string Listener::address() const { return impl_ ? impl_->address : std::string(); }
std::optional<std::string> Listener::last_accepted() const {
  return impl_ ? impl_->last_accepted : std::nullopt;
}
int Listener::fileno() const { return impl_ ? impl_->fd.get() : -1; }

void Listener::close() {
  if (!impl_) return;
  impl_->fd.reset();
  std::error_code ignored;
  if (!impl_->unlink_path.empty()) std::filesystem::remove(impl_->unlink_path, ignored);
  if (!impl_->temp_dir.empty()) std::filesystem::remove(impl_->temp_dir, ignored);
  impl_->unlink_path.clear();
  impl_->temp_dir.clear();
}

Connection Client(std::string address, std::optional<std::string> authkey) {
  const Address a = parse(address);
  UniqueFd s;
  if (a.tcp) {
    AddrInfo ai;
    resolve(a, false, ai, address);
    int err = ECONNREFUSED;
    for (addrinfo* p = ai.list; p != nullptr; p = p->ai_next) {
      UniqueFd t(::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol));
      if (!t) {
        err = errno;
        continue;
      }
      int rc;
      do rc = ::connect(t.get(), p->ai_addr, p->ai_addrlen);
      while (rc < 0 && (errno == EINTR || errno == EALREADY));  // EINTR: it goes on; wait
      if (rc < 0 && errno == EISCONN) rc = 0;
      if (rc == 0) {
        s = std::move(t);
        break;
      }
      err = errno;
    }
    if (!s) throw_at(err, "connect", address);
    no_delay(s.get());
  } else {
    s.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) throw_at(errno, "socket", address);
    const auto [sa, len] = unix_sockaddr(a.path);
    int rc;
    do rc = ::connect(s.get(), reinterpret_cast<const sockaddr*>(&sa), len);
    while (rc < 0 && (errno == EINTR || errno == EALREADY));
    if (rc < 0 && errno == EISCONN) rc = 0;
    if (rc < 0) throw_at(errno, "connect", address);
  }
  Connection conn(s.release());
  authenticate(conn, authkey, false);
  return conn;
}

}  // namespace concur::multiprocessing::connection
