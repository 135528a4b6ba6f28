#include "capture.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <utility>

namespace concur::cli::run {
namespace {

// An unnamed file: O_TMPFILE where the filesystem has it, else mkostemp + unlink.
int open_spill_file() {
  const char* dir = std::getenv("TMPDIR");
  std::string d = dir != nullptr && *dir != '\0' ? dir : "/tmp";
  int fd = ::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string name = d + "/concur-run-XXXXXX";
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "concur run: spill file in " + d);
  ::unlink(name.c_str());
  return fd;
}

}  // namespace

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Capture::Capture(Capture&& o) noexcept
    : limit_(o.limit_),
      keep_(o.keep_),
      mem_(std::move(o.mem_)),
      tail_(std::move(o.tail_)),
      size_(o.size_),
      fd_(std::exchange(o.fd_, -1)) {}

Capture& Capture::operator=(Capture&& o) noexcept {
  if (this != &o) {
    clear();
    limit_ = o.limit_;
    keep_ = o.keep_;
    mem_ = std::move(o.mem_);
    tail_ = std::move(o.tail_);
    size_ = o.size_;
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

Capture::~Capture() { clear(); }

void Capture::clear() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::string().swap(mem_);
}

void Capture::spill() {
  fd_ = open_spill_file();
  if (!write_all(fd_, mem_))
    throw std::system_error(errno, std::generic_category(), "concur run: writing spill file");
  std::string().swap(mem_);
}

void Capture::append(const char* data, std::size_t n) {
  size_ += n;
  const std::string_view chunk(data, n);
  if (chunk.size() >= kTailBytes) {
    tail_.assign(chunk.substr(chunk.size() - kTailBytes));
  } else {
    tail_.append(chunk);
    if (tail_.size() > 2 * kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  }
  if (!keep_) return;
  if (fd_ < 0 && mem_.size() + n > limit_) spill();
  if (fd_ >= 0) {
    if (!write_all(fd_, chunk))
      throw std::system_error(errno, std::generic_category(), "concur run: writing spill file");
  } else {
    mem_.append(chunk);
  }
}

std::string Capture::tail() const {
  return tail_.size() > kTailBytes ? tail_.substr(tail_.size() - kTailBytes) : tail_;
}

std::string Capture::tail_lines(std::size_t lines) const {
  const std::string t = tail();
  std::size_t end = t.size();
  if (end > 0 && t[end - 1] == '\n') --end;
  std::size_t pos = end, count = 0;
  while (pos > 0 && lines > 0) {
    const auto nl = t.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    if (++count == lines) {
      pos = nl + 1;
      break;
    }
    pos = nl;
  }
  return t.substr(pos, end - pos);
}

void Capture::replay(const std::function<void(std::string_view)>& sink) const {
  if (fd_ < 0) {
    if (!mem_.empty()) sink(mem_);
    return;
  }
  std::string buf(1 << 16, '\0');
  off_t off = 0;
  for (;;) {
    const ssize_t n = ::pread(fd_, buf.data(), buf.size(), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw std::system_error(errno, std::generic_category(), "concur run: reading spill file");
    if (n == 0) return;
    off += n;
    sink(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
}

}  // namespace concur::cli::run
