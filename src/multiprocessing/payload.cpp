// Payload: in memory up to 64 KiB, then a memfd written with write(2) and sealed, mapped
// read-only by the receiver. Seals make a received memfd safe to map: the sender can neither
// shrink it (a SIGBUS on our reads) nor change it under us.
#include "concur/multiprocessing/detail/payload.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "concur/detail/core/error.hpp"
#include "concur/multiprocessing/errors.hpp"

namespace concur::multiprocessing::detail {
namespace {

constexpr unsigned required_seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
constexpr std::size_t staging_size = 256 * 1024;

void pwrite_all(int fd, const char* p, std::size_t n, std::size_t at) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(at));
    if (w < 0) {
      if (errno == EINTR) continue;
      concur::detail::throw_errno("concur::multiprocessing: write(memfd)");
    }
    p += w;
    at += static_cast<std::size_t>(w);
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

Payload::Payload(Payload&& o) noexcept
    : mem_(std::move(o.mem_)),
      size_(std::exchange(o.size_, 0)),
      fd_(std::move(o.fd_)),
      sealed_(std::exchange(o.sealed_, false)),
      map_(std::exchange(o.map_, nullptr)),
      map_len_(std::exchange(o.map_len_, 0)) {
  o.mem_.clear();
}

Payload& Payload::operator=(Payload&& o) noexcept {
  if (this != &o) {
    unmap();
    mem_ = std::move(o.mem_);
    o.mem_.clear();
    size_ = std::exchange(o.size_, 0);
    fd_ = std::move(o.fd_);
    sealed_ = std::exchange(o.sealed_, false);
    map_ = std::exchange(o.map_, nullptr);
    map_len_ = std::exchange(o.map_len_, 0);
  }
  return *this;
}

Payload::~Payload() { unmap(); }

void Payload::unmap() const {
  if (map_ != nullptr) ::munmap(const_cast<char*>(map_), map_len_);
  map_ = nullptr;
  map_len_ = 0;
}

void Payload::clear() {
  unmap();
  fd_.reset();
  sealed_ = false;
  mem_.clear();
  size_ = 0;
}

void Payload::spill() {
  const int fd = ::memfd_create("concur-message", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) concur::detail::throw_errno("concur::multiprocessing: memfd_create");
  fd_.reset(fd);
  pwrite_all(fd, mem_.data(), mem_.size(), 0);
  mem_.clear();
  mem_.reserve(staging_size);
}

void Payload::flush_staging() {
  pwrite_all(fd_.get(), mem_.data(), mem_.size(), size_ - mem_.size());
  mem_.clear();
}

void Payload::append(const void* data, std::size_t n) {
  if (sealed_) throw ProcessError("concur::multiprocessing: append to a finished payload");
  const char* p = static_cast<const char*>(data);
  if (!fd_) {
    if (size_ + n <= spill_threshold) {
      mem_.append(p, n);
      size_ += n;
      return;
    }
    spill();
  }
  if (mem_.size() + n <= staging_size) {
    mem_.append(p, n);
    size_ += n;
    return;
  }
  flush_staging();
  if (n >= staging_size) {
    pwrite_all(fd_.get(), p, n, size_);
  } else {
    mem_.append(p, n);
  }
  size_ += n;
}

void Payload::finish() {
  if (!fd_ || sealed_) return;
  flush_staging();
  if (::fcntl(fd_.get(), F_ADD_SEALS, required_seals | F_SEAL_SEAL) < 0)
    concur::detail::throw_errno("concur::multiprocessing: fcntl(F_ADD_SEALS)");
  sealed_ = true;
}

std::string_view Payload::view() const {
  if (!fd_) return mem_;
  if (size_ == 0) return {};
  if (map_ == nullptr) {
    if (!sealed_) throw ProcessError("concur::multiprocessing: payload read before finish()");
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED | MAP_POPULATE, fd_.get(), 0);
    if (p == MAP_FAILED) concur::detail::throw_errno("concur::multiprocessing: mmap(memfd)");
    map_ = static_cast<const char*>(p);
    map_len_ = size_;
  }
  return {map_, size_};
}

Payload Payload::adopt(concur::detail::UniqueFd fd, std::size_t size) {
  const int seals = ::fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0 || (static_cast<unsigned>(seals) & required_seals) != required_seals)
    throw ProcessError("concur::multiprocessing: a message body arrived in an unsealed file");
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) concur::detail::throw_errno("concur::multiprocessing: fstat");
  if (st.st_size < 0 || static_cast<std::size_t>(st.st_size) < size)
    throw ProcessError("concur::multiprocessing: a message body is shorter than its header says");
  Payload p;
  p.fd_ = std::move(fd);
  p.size_ = size;
  p.sealed_ = true;
  p.view();  // map now: failures surface here, not in a decoder
  return p;
}

Payload Payload::from_string(std::string bytes) {
  Payload p;
  if (bytes.size() > spill_threshold) {
    p.append(bytes.data(), bytes.size());
    p.finish();
    return p;
  }
  p.size_ = bytes.size();
  p.mem_ = std::move(bytes);
  return p;
}

}  // namespace concur::multiprocessing::detail
