// Bundles of tiny tasks and the outcome board: see bundle.hpp.
#include "mpi/bundle.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <typeinfo>

#include "concur/multiprocessing/detail/codec.hpp"
#include "concur/multiprocessing/detail/remote_error.hpp"
#include "mpi/frames.hpp"
#include "mpi/outcome_wire.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::mpi::detail {

namespace mp = concur::multiprocessing;
using mp::detail::Kind;
using mp::detail::Message;
using mp::detail::Outcome;

namespace {

// A slot: this header, then the records, each u32 kind (result / error), u32 0, u64 count,
// u64 length, the bytes, padded to 8.
struct SlotHeader {
  std::atomic<std::uint64_t> started;  // sub-tasks begun
  std::atomic<std::uint64_t> records;  // outcomes recorded (sub-tasks 0 .. records - 1)
  std::uint64_t reserved[6];
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
constexpr std::size_t record_head = 24;
constexpr std::size_t room = Board::slot_bytes - sizeof(SlotHeader);

Board* the_board = nullptr;

SlotHeader& header(char* slot) { return *reinterpret_cast<SlotHeader*>(slot); }
std::size_t padded(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

// What a sub-task's result must be to travel: finished (a big one went to a memfd) and free
// of handles.
void finish_for_the_board(Message& reply) {
  reply.body.finish();
  if (!reply.fds.empty())
    throw mp::ProcessError(
        "concur::mpi: a result that holds handles (SharedArray, Queue, locks...) cannot travel "
        "to another rank");
}

// Runs one sub-task as the worker's loop runs a task: `reply` gets the result or the error.
void run_one(const Message& task, Message& reply) {
  mp::detail::run_task(task, reply, &finish_for_the_board);
  if (reply.kind == Kind::result) return;
  try {
    reply.body.finish();
  } catch (...) {  // no memfd for a huge error's description: an empty error
    reply.body.clear();
  }
}

// The worker side: runs the bundle's sub-tasks in order, recording each outcome in the slot.
// Its reply: u64 sub-tasks run, u32 1 if the last one's outcome did not fit the slot and
// follows (u32 kind, u64 count, bytes), else u32 0.
void run_bundle(const Message& in, Message& out) {
  FrameReader r(in.body.view());
  if (r.type() != FrameType::bundle || the_board == nullptr)
    throw mp::ProcessError("concur::mpi: malformed bundle");
  char* slot = the_board->slot(r.u64());
  SlotHeader& h = header(slot);
  const std::uint64_t n = r.count(32);
  std::size_t used = sizeof(SlotHeader);
  Message task, reply;
  task.kind = Kind::task;
  for (std::uint64_t i = 0; i < n; ++i) {
    task.trampoline = static_cast<std::uintptr_t>(r.u64());
    task.fn = static_cast<std::uintptr_t>(r.u64());
    task.count = r.u64();
    task.body = mp::detail::Payload::from_string(std::string(r.bytes()));
    h.started.store(i + 1, std::memory_order_release);
    run_one(task, reply);
    std::fflush(nullptr);
    const std::string_view body = reply.body.view();
    const std::size_t need = record_head + padded(body.size());
    if (need <= Board::slot_bytes - used) {
      char* at = slot + used;
      const std::uint32_t kind = static_cast<std::uint32_t>(reply.kind), zero = 0;
      const std::uint64_t len = body.size();
      std::memcpy(at, &kind, 4);
      std::memcpy(at + 4, &zero, 4);
      std::memcpy(at + 8, &reply.count, 8);
      std::memcpy(at + 16, &len, 8);
      std::memcpy(at + record_head, body.data(), body.size());
      used += need;
      h.records.store(i + 1, std::memory_order_release);
      continue;
    }
    FrameWriter w(FrameType::bundle_done);
    w.u64(i + 1);
    w.u32(1);
    w.u32(static_cast<std::uint32_t>(reply.kind));
    w.u64(reply.count);
    w.bytes(body);
    out.body = mp::detail::Payload::from_string(w.finish());
    return;
  }
  FrameWriter w(FrameType::bundle_done);
  w.u64(n);
  w.u32(0);
  out.body = mp::detail::Payload::from_string(w.finish());
}

Outcome from_record(std::uint32_t kind, std::uint64_t count, std::string_view bytes) {
  Outcome o;
  if (kind == static_cast<std::uint32_t>(Kind::result)) {
    o.state = Outcome::State::ok;
    o.count = count;
    o.body = mp::detail::Payload::from_string(std::string(bytes));
    return o;
  }
  o.state = Outcome::State::error;
  try {
    mp::detail::FdList none;
    mp::detail::Reader reader(bytes, none);
    o.error = reader.read<mp::detail::WireError>();
  } catch (const std::exception& e) {
    o.error = process_error(std::string("concur::mpi: malformed error reply: ") + e.what());
  }
  return o;
}

Outcome bundle_failure(const std::string& what) {
  Outcome o;
  o.state = Outcome::State::error;
  o.error = process_error(what);
  return o;
}

}  // namespace

Board::Board() {
  void* p = ::mmap(nullptr, std::size_t{slots} * slot_bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::system_error(errno, std::generic_category(), "concur::mpi: mmap of the board");
  base_ = static_cast<char*>(p);
  for (unsigned i = slots; i-- > 0;) free_.push_back(i);
  the_board = this;
}

Board::~Board() {
  if (the_board == this) the_board = nullptr;
  ::munmap(base_, std::size_t{slots} * slot_bytes);
}

std::optional<unsigned> Board::acquire() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return std::nullopt;
  const unsigned s = free_.back();
  free_.pop_back();
  SlotHeader& h = header(slot(s));
  h.started.store(0, std::memory_order_relaxed);
  h.records.store(0, std::memory_order_relaxed);
  return s;
}

void Board::release(unsigned s) {
  std::lock_guard lock(mutex_);
  free_.push_back(s);
}

Board* Board::current() { return the_board; }

char* Board::slot(std::uint64_t s) const {
  if (s >= slots) throw mp::ProcessError("concur::mpi: no such bundle slot");
  return base_ + static_cast<std::size_t>(s) * slot_bytes;
}

mp::detail::Task make_bundle(unsigned slot, const std::vector<Call>& calls,
                             std::shared_ptr<mp::detail::TaskSink> sink) {
  FrameWriter w(FrameType::bundle);
  std::size_t bytes = header_size + 16;
  for (const Call& c : calls) bytes += 32 + c.body.size();
  w.reserve(bytes);
  w.u64(slot);
  w.u64(calls.size());
  for (const Call& c : calls) {
    w.u64(c.trampoline);
    w.u64(c.fn);
    w.u64(c.count);
    w.bytes(c.body);
  }
  mp::detail::Task t;
  t.message.kind = Kind::task;
  t.message.trampoline = reinterpret_cast<std::uintptr_t>(&run_bundle);
  t.message.count = calls.size();
  t.message.body = mp::detail::Payload::from_string(w.finish());
  t.message.body.finish();
  t.sink = std::move(sink);
  return t;
}

Unbundled unbundle(const Board& board, unsigned slot, std::vector<Call> calls, Outcome&& o) {
  Unbundled u;
  const std::size_t n = calls.size();
  char* s = board.slot(slot);
  const SlotHeader& h = header(s);
  const std::size_t records = std::min<std::size_t>(h.records.load(std::memory_order_acquire), n);
  const std::size_t started = std::min<std::size_t>(h.started.load(std::memory_order_acquire), n);
  std::size_t next = 0;
  try {  // the slot was written by a worker: read it as untrusted
    std::size_t at = sizeof(SlotHeader);
    for (; next < records; ++next) {
      if (record_head > Board::slot_bytes - at) throw mp::ProcessError("record past the slot");
      std::uint32_t kind;
      std::uint64_t count, len;
      std::memcpy(&kind, s + at, 4);
      std::memcpy(&count, s + at + 8, 8);
      std::memcpy(&len, s + at + 16, 8);
      if (len > Board::slot_bytes - at - record_head)
        throw mp::ProcessError("record past the slot");
      u.done.emplace_back(calls[next].id,
                          from_record(kind, count, std::string_view(s + at + record_head, len)));
      at += record_head + padded(static_cast<std::size_t>(len));
    }
    if (o.state == Outcome::State::ok) {
      FrameReader r(o.body.view());
      if (r.type() != FrameType::bundle_done) throw mp::ProcessError("not a bundle's reply");
      const std::uint64_t ran = r.u64();
      const bool overflow = r.u32() != 0;
      if (ran > n || ran != next + (overflow ? 1 : 0))
        throw mp::ProcessError("bad count in a bundle's reply");
      if (overflow) {
        const std::uint32_t kind = r.u32();
        const std::uint64_t count = r.u64();
        u.done.emplace_back(calls[next].id, from_record(kind, count, r.bytes()));
        ++next;
      }
    } else if (o.state == Outcome::State::crashed && !o.pool_broken) {
      if (started > next) {  // died running this one
        u.done.emplace_back(calls[next].id, std::move(o));
        ++next;
      }
    } else {  // failed as a whole
      for (; next < n; ++next) u.done.emplace_back(calls[next].id, o.failure_copy());
    }
  } catch (const std::exception& e) {
    const Outcome failed =
        bundle_failure(std::string("concur::mpi: a bundle's outcomes are unreadable: ") + e.what());
    for (; next < n; ++next) u.done.emplace_back(calls[next].id, failed.failure_copy());
  }
  for (; next < n; ++next) u.again.push_back(std::move(calls[next]));
  return u;
}

Message to_message(const Call& c) {
  Message m;
  m.kind = Kind::task;
  m.trampoline = c.trampoline;
  m.fn = c.fn;
  m.count = c.count;
  if (c.body.size() > mp::detail::Payload::spill_threshold)
    m.body.append(c.body);  // a memfd: the worker maps it instead of reading a socket
  else
    m.body = mp::detail::Payload::from_string(c.body);
  m.body.finish();
  return m;
}

}  // namespace concur::mpi::detail
