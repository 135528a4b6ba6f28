// concur/multiprocessing/wire.hpp — internal: how values travel between processes.
//
// Values are written with cereal's binary archives into a std::string (and read back from a
// string_view without a copy). Handles (SharedMemory, Connection, Queue) do not copy their
// data: while a value is written, a thread-local FdSink collects dup()ed file descriptors that
// travel beside the bytes (SCM_RIGHTS); while it is read, a thread-local FdSource lends the
// received ones. Not part of the public API.
//
// Thread safety: every function works on the calling thread's own context.
#pragma once

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace concur::multiprocessing::detail {

/// Owned file descriptors travelling with a message; closes them on destruction.
class FdList {
 public:
  FdList() = default;
  FdList(const FdList&) = delete;
  FdList& operator=(const FdList&) = delete;
  FdList(FdList&& o) noexcept : fds_(std::move(o.fds_)) { o.fds_.clear(); }
  FdList& operator=(FdList&& o) noexcept;
  ~FdList();
  void push(int fd) { fds_.push_back(fd); }  // takes ownership
  const std::vector<int>& fds() const { return fds_; }
  std::size_t size() const { return fds_.size(); }
  bool empty() const { return fds_.empty(); }
  std::vector<int> release();  // gives up ownership
  void clear();                // closes all

 private:
  std::vector<int> fds_;
};

/// Collects fds while a value is being written (the calling thread's one, or nullptr).
FdList*& current_fd_sink();
/// Lends the received fds while a value is being read (the calling thread's one, or nullptr).
const FdList*& current_fd_source();

/// A handle being written: dup()s `fd` into the current sink, returns its index there.
/// Throws ProcessError when no sink is active (a handle inside a value that cannot carry fds).
std::uint32_t attach_fd(int fd);
/// A handle being read: the fd received at `index` (still owned by the message).
int attached_fd(std::uint32_t index);

/// A streambuf appending to a std::string.
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string& s) : s_(s) {}

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) s_.push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* p, std::streamsize n) override {
    s_.append(p, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::string& s_;
};

/// A streambuf reading a string_view in place.
class ViewSource : public std::streambuf {
 public:
  explicit ViewSource(std::string_view v) {
    char* p = const_cast<char*>(v.data());  // read only: the get area is never written
    setg(p, p, p + v.size());
  }
};

/// Scoped sink: values written while it lives put their fds into `fds`.
class SinkScope {
 public:
  explicit SinkScope(FdList& fds) : saved_(current_fd_sink()) { current_fd_sink() = &fds; }
  ~SinkScope() { current_fd_sink() = saved_; }
  SinkScope(const SinkScope&) = delete;
  SinkScope& operator=(const SinkScope&) = delete;

 private:
  FdList* saved_;
};

/// Scoped source: handles read while it lives take their fds from `fds`.
class SourceScope {
 public:
  explicit SourceScope(const FdList& fds) : saved_(current_fd_source()) {
    current_fd_source() = &fds;
  }
  ~SourceScope() { current_fd_source() = saved_; }
  SourceScope(const SourceScope&) = delete;
  SourceScope& operator=(const SourceScope&) = delete;

 private:
  const FdList* saved_;
};

/// Appends the binary serialization of `values...` to `out`; handles' fds go to `fds`.
template <class... T>
void write_values(std::string& out, FdList& fds, const T&... values) {
  SinkScope scope(fds);
  StringSink buf(out);
  std::ostream os(&buf);
  cereal::BinaryOutputArchive ar(os);
  (ar(values), ...);
}

/// An input archive over `bytes`, handles taking their fds from `fds`.
struct Reader {
  Reader(std::string_view bytes, const FdList& fds) : scope(fds), buf(bytes), is(&buf), ar(is) {}
  template <class T>
  T read() {
    T value{};
    ar(value);
    return value;
  }
  SourceScope scope;
  ViewSource buf;
  std::istream is;
  cereal::BinaryInputArchive ar;
};

/// A worker-side entry point, instantiated in the parent's code (same binary image in the
/// worker): reads the arguments from `in`, calls the user's function (`fn` is its address, or
/// 0 for a capture-less lambda) and writes the results to `out`. Exceptions propagate.
using Trampoline = void (*)(std::uintptr_t fn, std::string_view in, const FdList& in_fds,
                            std::string& out, FdList& out_fds);

}  // namespace concur::multiprocessing::detail
