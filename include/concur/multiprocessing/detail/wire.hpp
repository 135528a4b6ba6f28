// concur/multiprocessing/detail/wire.hpp — internal: how values travel between processes.
//
// Values are written with cereal's binary archive into a std::string or a Payload (which
// spills big bodies to a memfd), and read back from a string_view without a copy by
// WireInputArchive: cereal's binary format, but every container size read is checked against
// the bytes left, so untrusted bytes cannot make a reader allocate gigabytes. Handles
// (SharedMemory, Connection, Queue) do not copy their data: while a value is written, a
// thread-local FdSink collects dup()ed file descriptors that travel beside the bytes (SCM_RIGHTS);
// while it is read, a thread-local FdSource lends the received ones. Not part of the public API.
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
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "concur/multiprocessing/detail/payload.hpp"

namespace concur::multiprocessing::detail {

/// Owned file descriptors travelling with a message; closes them on destruction.
class FdList {
 public:
  FdList() = default;
  FdList(const FdList&) = delete;
  FdList& operator=(const FdList&) = delete;
  FdList(FdList&& o) noexcept : fds_(std::move(o.fds_)) { o.fds_.clear(); }
  FdList& operator=(FdList&& o) noexcept {
    if (this != &o) {
      clear();
      fds_ = std::move(o.fds_);
      o.fds_.clear();
    }
    return *this;
  }
  ~FdList() { clear(); }
  void push(int fd) { fds_.push_back(fd); }  // takes ownership
  const std::vector<int>& fds() const { return fds_; }
  std::size_t size() const { return fds_.size(); }
  bool empty() const { return fds_.empty(); }
  std::vector<int> release();  // gives up ownership
  void clear() noexcept {      // closes all
    if (!fds_.empty()) close_all();
  }

 private:
  void close_all() noexcept;
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

/// A streambuf appending to a Payload.
class PayloadSink : public std::streambuf {
 public:
  explicit PayloadSink(Payload& p) : p_(p) {}

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      const char ch = static_cast<char>(c);
      p_.append(&ch, 1);
    }
    return c;
  }
  std::streamsize xsputn(const char* p, std::streamsize n) override {
    p_.append(p, static_cast<std::size_t>(n));
    return n;
  }

 private:
  Payload& p_;
};

/// A streambuf reading a string_view in place.
class ViewSource : public std::streambuf {
 public:
  explicit ViewSource(std::string_view v) {
    char* p = const_cast<char*>(v.data());  // read only: the get area is never written
    setg(p, p, p + v.size());
  }
  /// Bytes not read yet.
  std::size_t left() const { return static_cast<std::size_t>(egptr() - gptr()); }
  /// The next `n` bytes, read in place (nullptr, and nothing read, if fewer are left).
  const char* take(std::size_t n) {
    if (n > left()) return nullptr;
    char* p = gptr();
    setg(eback(), p + n, egptr());
    return p;
  }
};
}  // namespace concur::multiprocessing::detail

namespace cereal {

/// cereal's BinaryInputArchive with one addition: a container size is accepted only if the
/// bytes left could hold that many elements (or it is small), else cereal::Exception.
class WireInputArchive : public InputArchive<WireInputArchive, AllowEmptyClassElision> {
 public:
  explicit WireInputArchive(concur::multiprocessing::detail::ViewSource& src)
      : InputArchive<WireInputArchive, AllowEmptyClassElision>(this), src_(src) {}
  void loadBinary(void* data, std::streamsize size) {
    if (src_.sgetn(static_cast<char*>(data), size) != size)
      throw Exception("concur::multiprocessing: truncated message (" + std::to_string(size) +
                      " bytes missing)");
  }
  template <class T>
  void checkSize(T size) {
    constexpr std::uint64_t small = 1 << 16;  // elements of empty types take no bytes
    if (static_cast<std::uint64_t>(size) > small && static_cast<std::uint64_t>(size) > src_.left())
      throw Exception("concur::multiprocessing: corrupt message (a size of " +
                      std::to_string(static_cast<std::uint64_t>(size)) + " with " +
                      std::to_string(src_.left()) + " bytes left)");
  }

 private:
  concur::multiprocessing::detail::ViewSource& src_;
};

template <class T>
inline std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar,
                                                                           T& t) {
  if constexpr (std::is_same_v<T, bool>) {  // any other byte would be undefined behaviour
    unsigned char b = 0;
    ar.loadBinary(&b, 1);
    if (b > 1)
      throw Exception("concur::multiprocessing: corrupt message (a bool of " + std::to_string(b) +
                      ")");
    t = b != 0;
  } else {
    ar.loadBinary(std::addressof(t), sizeof(t));
  }
}
template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(WireInputArchive& ar, NameValuePair<T>& t) {
  ar(t.value);
}
template <class T>
inline void CEREAL_SERIALIZE_FUNCTION_NAME(WireInputArchive& ar, SizeTag<T>& t) {
  ar(t.size);
  ar.checkSize(t.size);
}
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(WireInputArchive& ar, BinaryData<T>& bd) {
  ar.loadBinary(bd.data, static_cast<std::streamsize>(bd.size));
}
namespace traits::detail {
template <>
struct get_output_from_input<WireInputArchive> {
  using type = BinaryOutputArchive;
};
}  // namespace traits::detail

}  // namespace cereal

namespace concur::multiprocessing::detail {

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

/// The calling thread's std::ostream that Writers lend their buffer to. cereal's archive writes
/// through a std::ostream, but only to its rdbuf(); constructing one per message (a locale
/// copy, facet look-ups by dynamic_cast, ios_base set-up and tear-down) cost ~0.25 µs, twice
/// per pool round trip, so each thread builds one and swaps buffers in and out of it.
std::ostream& thread_output_stream();

/// While it lives, `os` writes to `buf`; then to whatever it wrote to before (a value written
/// while another is being written, or two writers used in turn, each find their own buffer).
class StreamLoan {
 public:
  StreamLoan(std::ostream& os, std::streambuf& buf) : os_(os), saved_(os.rdbuf(&buf)) {}
  ~StreamLoan() { os_.rdbuf(saved_); }
  StreamLoan(const StreamLoan&) = delete;
  StreamLoan& operator=(const StreamLoan&) = delete;

 private:
  std::ostream& os_;
  std::streambuf* saved_;
};

/// An output archive appending to a std::string or a Payload; handles' fds go to `fds`. It
/// writes through the constructing thread's stream: one thread only.
template <class Out>
struct Writer {
  using Buf = std::conditional_t<std::is_same_v<Out, Payload>, PayloadSink, StringSink>;
  Writer(Out& out, FdList& fds) : scope(fds), buf(out), os(thread_output_stream()), ar(os) {}
  template <class T>
  void write(const T& value) {
    StreamLoan loan(os, buf);
    ar(value);
  }
  SinkScope scope;
  Buf buf;
  std::ostream& os;
  cereal::BinaryOutputArchive ar;
};

/// Appends the binary serialization of `values...` to `out` (a std::string or a Payload);
/// handles' fds go to `fds`.
template <class Out, class... T>
void write_values(Out& out, FdList& fds, const T&... values) {
  Writer<Out> w(out, fds);
  (w.write(values), ...);
}

/// An input archive over `bytes`, handles taking their fds from `fds`. Corrupt or truncated
/// bytes throw cereal::Exception (a std::runtime_error), never allocate beyond their size.
struct Reader {
  Reader(std::string_view bytes, const FdList& fds) : scope(fds), buf(bytes), ar(buf) {}
  template <class T>
  T read() {
    T value{};
    ar(value);
    return value;
  }
  std::size_t left() const { return buf.left(); }
  SourceScope scope;
  ViewSource buf;
  cereal::WireInputArchive ar;
};

}  // namespace concur::multiprocessing::detail
