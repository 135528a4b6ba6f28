// SharedMemory's mappings and the per-process registry that lets a handle received twice (or
// inherited through fork) reuse one mapping instead of mapping the memfd again.
#include "concur/multiprocessing/shared_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <map>
#include <mutex>
#include <system_error>

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

}  // namespace concur::multiprocessing::detail
