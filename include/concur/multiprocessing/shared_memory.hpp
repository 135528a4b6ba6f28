// concur/multiprocessing/shared_memory.hpp — memory shared between processes.
//
//   concur::multiprocessing::SharedArray<std::int64_t> a(10'000'000);   // zero-initialised
//   std::iota(a.begin(), a.end(), 0);
//   auto part = pool.apply_async(+[](SharedArray<std::int64_t> a, std::size_t lo, std::size_t hi) {
//     return std::accumulate(a.begin() + lo, a.begin() + hi, std::int64_t{0});
//   }, a, 0, a.size() / 2);                 // sends a handle (an fd), never the 80 MB
//
//   SharedMemory shm("my_block", /*create=*/true, 1 << 20);   // /dev/shm/my_block
//   SharedMemory other("my_block", /*create=*/false);          // any process, e.g. Python's
//   shm.close(); shm.unlink();                                 // multiprocessing.shared_memory
//
// The anonymous SharedMemory(size) is a memfd mapped with MAP_SHARED: it has no name, so it
// cannot leak past its last handle. The named form is POSIX shared memory (shm_open), as
// Python's multiprocessing.shared_memory.SharedMemory: the name is given without the leading
// '/' and appears as /dev/shm/NAME; it outlives every handle until unlink() (as in Python,
// the creator is responsible for unlinking). Every copy of a SharedMemory (or of a
// SharedArray) is a handle to the same memory, which stays mapped while any handle in any
// process does. Passed to a task or a Process, a handle travels as its fd (SCM_RIGHTS); the
// receiving process maps it once and reuses the mapping (cached by device and inode; a worker
// forked after the memory was made reuses the inherited mapping, the same address).
//
// Thread safety: handles may be copied and destroyed from any thread. The memory itself is
// not synchronised: use a Value's lock, a Queue or task boundaries to order accesses.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "concur/multiprocessing/detail/wire.hpp"

namespace concur::multiprocessing {

namespace detail {
/// One mapping of a memfd in this process. Unmapped and closed with its last handle.
struct Mapping {
  int fd = -1;
  std::byte* addr = nullptr;
  std::size_t size = 0;
  dev_t dev = 0;
  ino_t ino = 0;
  ~Mapping();
};
/// A new zero-filled memfd of `size` bytes, mapped. Throws std::system_error.
std::shared_ptr<Mapping> create_mapping(std::size_t size);
/// The mapping of the memfd or shm `fd` (borrowed): an existing one of this process if any,
/// else a new one. Throws std::system_error.
std::shared_ptr<Mapping> map_fd(int fd);
/// Creates (shm_open O_CREAT|O_EXCL) or attaches the POSIX shared memory `name`, mapped.
/// `name` comes back as used: without a leading '/', or the fresh one picked for "".
/// Throws std::invalid_argument (bad name or size), std::system_error (EEXIST, ENOENT...).
std::shared_ptr<Mapping> open_named(std::string& name, bool create, std::size_t size);
/// shm_unlink(name). Throws std::system_error (ENOENT if already unlinked).
void unlink_named(const std::string& name);
}  // namespace detail

/// A block of shared memory, anonymous (memfd) or named (POSIX shm). Copies share the same
/// memory. Throws std::system_error if the memory cannot be made or mapped.
/// Thread safety: distinct handles may be used from any thread; one handle must not be
/// close()d while another thread uses it.
class SharedMemory {
 public:
  /// `size` zero-filled bytes (size 0 is allowed and maps nothing). Anonymous: name() is "".
  explicit SharedMemory(std::size_t size) : map_(detail::create_mapping(size)) {}
  /// Named shared memory (Python's SharedMemory(name, create, size)). create=true makes a new
  /// zero-filled block of `size` bytes (> 0) named `name` — an empty name picks a fresh
  /// random one ("psm_..." as Python) — and throws std::system_error with EEXIST if the name
  /// is taken. create=false attaches an existing block (`size` is ignored; size() is the
  /// block's) and throws std::system_error with ENOENT if there is none (or it was
  /// unlinked). A name is 1..254 characters without '/' (Python's leading '/' is accepted and
  /// dropped); otherwise std::invalid_argument, as is create with size 0.
  SharedMemory(std::string name, bool create, std::size_t size = 0) : name_(std::move(name)) {
    map_ = detail::open_named(name_, create, size);
  }
  /// An empty handle (size 0), to be assigned (needed to receive one as a task argument).
  SharedMemory() = default;

  /// The name without the leading '/' (as Python's .name); "" for anonymous memory. Still
  /// the name after close().
  std::string name() const { return name_; }
  /// Gives up this handle's access (Python's close()): size() becomes 0 and buf() empty; the
  /// name stays, so close() then unlink() works as in Python. The memory stays mapped for
  /// other handles and is unmapped with the last one. Never throws.
  void close() noexcept { map_.reset(); }
  /// Removes the name from /dev/shm (Python's unlink()), also after close(): later attaches
  /// fail with ENOENT; memory already attached stays valid. Call it once, from one process,
  /// usually the creator. Does nothing for anonymous memory or an empty handle. Throws
  /// std::system_error (ENOENT when the name is already gone).
  void unlink();

  /// The block's size in bytes (0 for an empty or closed handle).
  std::size_t size() const { return map_ ? map_->size : 0; }
  /// The whole block as bytes (Python's .buf); empty after close().
  std::span<std::byte> buf() { return {data(), size()}; }
  /// The whole block as read-only bytes.
  std::span<const std::byte> buf() const { return {data(), size()}; }
  /// The first byte of the mapping; nullptr for an empty or closed handle.
  std::byte* data() { return map_ ? map_->addr : nullptr; }
  /// The first byte of the mapping, read-only; nullptr for an empty or closed handle.
  const std::byte* data() const { return map_ ? map_->addr : nullptr; }
  /// The memfd, for passing by hand (owned by the handle).
  int fd() const { return map_ ? map_->fd : -1; }

  /// Serialisation (cereal) of the handle: the memfd travels (SCM_RIGHTS) with the name, the
  /// receiver maps the same memory.
  template <class Archive>
  void save(Archive& ar) const {
    const bool has = static_cast<bool>(map_);
    ar(has);
    if (has) ar(detail::attach_fd(map_->fd), name_);
  }
  /// Maps a handle written by save(). Throws std::system_error if it cannot be mapped.
  template <class Archive>
  void load(Archive& ar) {
    bool has = false;
    ar(has);
    if (!has) {
      map_.reset();
      name_.clear();
      return;
    }
    std::uint32_t index = 0;
    std::string name;
    ar(index, name);
    map_ = detail::map_fd(detail::attached_fd(index));
    name_ = std::move(name);
  }

 private:
  std::shared_ptr<detail::Mapping> map_;
  std::string name_;  // POSIX shm name, "" for a memfd; kept by close() (then unlink(), as Python)
};

class Lock;  // <concur/multiprocessing/synchronize.hpp>, included at the end of this header
namespace detail {
template <class T>
struct LockOf {  // names Lock dependently, so SharedArray may hold one before Lock is complete
  using type = Lock;
};
}  // namespace detail

/// `n` zero-initialised elements of a trivially copyable T in shared memory; copies share the
/// elements; passed to a task it travels as a handle, never as data.
template <class T>
class SharedArray {
  static_assert(std::is_trivially_copyable_v<T>, "SharedArray<T> needs a trivially copyable T");

 public:
  /// `n` zero-initialised elements, with a new Lock. Throws std::system_error.
  explicit SharedArray(std::size_t n) : mem_(n * sizeof(T)), n_(n) {}
  /// The given elements (Python's Array(typecode, [1, 2, 3])).
  SharedArray(std::initializer_list<T> init) : SharedArray(init.size()) {
    std::copy(init.begin(), init.end(), begin());
  }
  /// An empty handle (size 0), to be assigned.
  SharedArray() : lock_(detail::LockOf<T>::type::empty_handle()) {}

  /// The number of elements.
  std::size_t size() const { return n_; }
  /// Whether size() == 0.
  bool empty() const { return n_ == 0; }
  /// The first element (nullptr for an empty handle).
  T* data() { return reinterpret_cast<T*>(mem_.data()); }
  /// The first element, read-only.
  const T* data() const { return reinterpret_cast<const T*>(mem_.data()); }
  /// Element `i`, unchecked (i < size()). Not atomic: use get_lock() or std::atomic_ref to
  /// share updates between processes.
  T& operator[](std::size_t i) { return data()[i]; }
  /// Element `i`, read-only, unchecked.
  const T& operator[](std::size_t i) const { return data()[i]; }
  /// Iterator to the first element.
  T* begin() { return data(); }
  /// Iterator past the last element.
  T* end() { return data() + n_; }
  /// Read-only iterator to the first element.
  const T* begin() const { return data(); }
  /// Read-only iterator past the last element.
  const T* end() const { return data() + n_; }
  /// The elements as a span.
  std::span<T> span() { return {data(), n_}; }
  /// The underlying SharedMemory handle.
  const SharedMemory& memory() const { return mem_; }
  /// A process-shared Lock that travels with the array (Python's Array(...).get_lock(); the
  /// elements themselves are not locked by it: hold it around a read-modify-write).
  typename detail::LockOf<T>::type& get_lock() { return lock_; }

  /// Serialisation (cereal): the memory and the lock travel as handles, never the elements.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(mem_, lock_);
    n_ = mem_.size() / sizeof(T);
  }

 private:
  SharedMemory mem_;
  std::size_t n_ = 0;
  typename detail::LockOf<T>::type lock_;
};

}  // namespace concur::multiprocessing

#include "concur/multiprocessing/synchronize.hpp"  // Lock, for SharedArray::get_lock()
