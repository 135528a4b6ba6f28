// SharedMemory's mappings and the per-process registry that lets a handle received twice (or
// inherited through fork) reuse one mapping instead of mapping the memfd again.
#include "concur/multiprocessing/shared_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "concur/detail/core/random.hpp"
#include "multiprocessing/channel.hpp"
#include "multiprocessing/registry.hpp"

namespace concur::multiprocessing::detail {
namespace {

using Key = std::pair<dev_t, ino_t>;

std::map<Key, std::weak_ptr<Mapping>>& live_mappings() {
  static auto* m = new std::map<Key, std::weak_ptr<Mapping>>;  // leaked: used after fork
  return *m;
}

// In a pool worker, the last few received mappings stay alive between tasks, so repeated
// tasks over the same SharedArray do not map (and page-fault) it again.
std::deque<std::shared_ptr<Mapping>>& worker_cache() {
  static auto* c = new std::deque<std::shared_ptr<Mapping>>;
  return *c;
}
constexpr std::size_t worker_cache_size = 8;

void map_into(Mapping& m) {
  struct stat st {};
  if (::fstat(m.fd, &st) < 0) throw_errno("fstat(memfd)");
  m.size = static_cast<std::size_t>(st.st_size);
  m.dev = st.st_dev;
  m.ino = st.st_ino;
  if (m.size == 0) return;
  void* p = ::mmap(nullptr, m.size, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0);
  if (p == MAP_FAILED) throw_errno("mmap");
  m.addr = static_cast<std::byte*>(p);
}

}  // namespace

Mapping::~Mapping() {
  {
    std::lock_guard lock(registry_mutex());
    auto& live = live_mappings();
    auto it = live.find({dev, ino});
    if (it != live.end() && it->second.expired()) live.erase(it);
  }
  if (addr != nullptr) ::munmap(addr, size);
  close_fd(fd);
}

std::shared_ptr<Mapping> create_mapping(std::size_t size) {
  auto m = std::make_shared<Mapping>();
  m->fd = ::memfd_create("concur-shm", MFD_CLOEXEC);
  if (m->fd < 0) throw_errno("memfd_create");
  if (::ftruncate(m->fd, static_cast<off_t>(size)) < 0) throw_errno("ftruncate(memfd)");
  map_into(*m);
  std::lock_guard lock(registry_mutex());
  live_mappings()[{m->dev, m->ino}] = m;
  return m;
}

std::shared_ptr<Mapping> map_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) throw_errno("fstat(memfd)");
  const Key key{st.st_dev, st.st_ino};
  std::shared_ptr<Mapping> m;
  {
    std::lock_guard lock(registry_mutex());
    auto it = live_mappings().find(key);
    if (it != live_mappings().end()) m = it->second.lock();
  }
  if (!m) {
    m = std::make_shared<Mapping>();
    m->fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (m->fd < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
    map_into(*m);
    std::lock_guard lock(registry_mutex());
    live_mappings()[key] = m;
  }
  if (in_worker()) {
    std::shared_ptr<Mapping> evicted;  // destroyed after the lock is released
    std::lock_guard lock(registry_mutex());
    auto& cache = worker_cache();
    for (auto it = cache.begin(); it != cache.end(); ++it)
      if (*it == m) {
        cache.erase(it);
        break;
      }
    cache.push_front(m);
    if (cache.size() > worker_cache_size) {
      evicted = std::move(cache.back());
      cache.pop_back();
    }
  }
  return m;
}

namespace {

// Python's names: "psm_" and 8 random hex digits (secrets.token_hex(4)).
std::string random_name() {
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t bits = concur::detail::random_u64();
  std::string name = "psm_";
  for (int i = 0; i < 8; ++i, bits >>= 4) name.push_back(hex[bits & 15]);
  return name;
}

std::string checked_name(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  if (name.empty() || name.size() > 254 || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos || name == "." || name == "..")
    throw std::invalid_argument("concur::multiprocessing: SharedMemory name '" + name +
                                "' must be 1..254 characters without '/' or NUL");
  return name;
}

[[noreturn]] void throw_shm(int err, const char* call, const std::string& name) {
  throw std::system_error(
      err, std::generic_category(),
      std::string("concur::multiprocessing: ") + call + "(/dev/shm/" + name + ")");
}

}  // namespace

std::shared_ptr<Mapping> open_named(std::string& name, bool create, std::size_t size) {
  if (create && size == 0)
    throw std::invalid_argument(
        "concur::multiprocessing: SharedMemory(create=true) needs a size greater than 0");
  if (create && size > static_cast<std::size_t>(PTRDIFF_MAX))
    throw std::invalid_argument("concur::multiprocessing: SharedMemory size too large");
  const bool pick = create && name.empty();
  if (!pick) name = checked_name(std::move(name));
  auto m = std::make_shared<Mapping>();
  for (int attempt = 0;; ++attempt) {
    if (pick) name = random_name();
    const std::string path = "/" + name;
    const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
    m->fd = ::shm_open(path.c_str(), flags, 0600);
    if (m->fd >= 0) break;
    if (pick && errno == EEXIST && attempt < 100) continue;
    throw_shm(errno, create ? "shm_open(O_CREAT|O_EXCL)" : "shm_open", name);
  }
  if (create && ::ftruncate(m->fd, static_cast<off_t>(size)) < 0) {
    const int err = errno;
    ::shm_unlink(("/" + name).c_str());  // ours: made just now, never handed out
    throw_shm(err, "ftruncate", name);
  }
  try {
    map_into(*m);
  } catch (...) {
    if (create) ::shm_unlink(("/" + name).c_str());
    throw;
  }
  std::lock_guard lock(registry_mutex());
  live_mappings()[{m->dev, m->ino}] = m;
  return m;
}

void unlink_named(const std::string& name) {
  if (::shm_unlink(("/" + name).c_str()) < 0) throw_shm(errno, "shm_unlink", name);
}

}  // namespace concur::multiprocessing::detail

namespace concur::multiprocessing {

void SharedMemory::unlink() {
  if (!name_.empty()) detail::unlink_named(name_);
}

}  // namespace concur::multiprocessing
