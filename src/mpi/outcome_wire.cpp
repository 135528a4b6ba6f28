// A task's outcome as a results record: see outcome_wire.hpp and frames.hpp.
#include "mpi/outcome_wire.hpp"

#include <exception>
#include <string>
#include <typeinfo>

#include "concur/multiprocessing/detail/codec.hpp"
#include "concur/multiprocessing/detail/remote_error.hpp"

namespace concur::mpi::detail {

namespace mp = concur::multiprocessing;
using mp::detail::Outcome;

namespace {

std::string error_bytes(const mp::detail::WireError& e) {
  mp::detail::Payload p;
  mp::detail::FdList fds;
  mp::detail::write_values(p, fds, e);
  p.finish();
  return std::string(p.view());
}

}  // namespace

mp::detail::WireError process_error(std::string what) {
  mp::detail::WireError e;
  e.type = "concur::multiprocessing::ProcessError";
  e.mangled = typeid(mp::ProcessError).name();
  e.message = std::move(what);
  return e;
}

void write_outcome(FrameWriter& w, std::uint64_t id, const Outcome& o) {
  w.u64(id);
  Outcome::State state = o.state;
  std::string body;
  std::string_view view;
  if (state == Outcome::State::ok && !o.fds.empty()) {  // handles cannot leave this host
    state = Outcome::State::error;
    body = error_bytes(process_error(
        "concur::mpi: a result that holds handles (SharedArray, Queue, locks...) cannot travel "
        "to another rank"));
    view = body;
  } else if (state == Outcome::State::ok) {
    view = o.body.view();
  } else if (state == Outcome::State::error) {
    body = error_bytes(o.error);
    view = body;
  } else if (state == Outcome::State::local) {
    state = Outcome::State::error;
    try {
      std::rethrow_exception(o.local);
    } catch (...) {
      body = error_bytes(mp::detail::describe_current_exception());
    }
    view = body;
  } else {
    view = o.message;
  }
  w.u32(static_cast<std::uint32_t>(state));
  w.u32(o.pool_broken ? 1 : 0);
  w.i64(o.exitcode);
  w.u64(o.count);
  w.bytes(view);
}

Outcome read_outcome(FrameReader& r, std::uint64_t& id, int rank) {
  id = r.u64();
  const auto state = static_cast<Outcome::State>(r.u32());
  const bool pool_broken = (r.u32() & 1) != 0;
  const std::int64_t exitcode = r.i64();
  const std::uint64_t count = r.u64();
  const std::string_view bytes = r.bytes();
  Outcome o;
  o.pool_broken = pool_broken;
  o.count = count;
  o.exitcode = static_cast<int>(exitcode);
  const std::string where = "concur::mpi: rank " + std::to_string(rank) + ": ";
  switch (state) {
    case Outcome::State::ok:
      o.state = state;
      o.body = mp::detail::Payload::from_string(std::string(bytes));
      break;
    case Outcome::State::error:
      o.state = state;
      try {
        mp::detail::FdList none;
        mp::detail::Reader reader(bytes, none);
        o.error = reader.read<mp::detail::WireError>();
      } catch (const std::exception& e) {
        o.error = process_error(where + "malformed error reply: " + e.what());
      }
      break;
    case Outcome::State::crashed:
      o.state = state;
      o.message = where + std::string(bytes);
      break;
    default:
      o.state = Outcome::State::cancelled;
      o.message = where + std::string(bytes);
      break;
  }
  return o;
}

}  // namespace concur::mpi::detail
