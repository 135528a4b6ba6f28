// Internal to concur::mpi: one task's outcome as a results record, and back.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "concur/multiprocessing/detail/pool_core.hpp"
#include "mpi/frames.hpp"

namespace concur::mpi::detail {

/// A ProcessError as it travels in an error reply (`what` is its message).
multiprocessing::detail::WireError process_error(std::string what);

/// Appends (id, outcome) to a results frame.
void write_outcome(FrameWriter& w, std::uint64_t id, const multiprocessing::detail::Outcome& o);
/// Reads one record of a results frame; `rank` names the sender in messages.
multiprocessing::detail::Outcome read_outcome(FrameReader& r, std::uint64_t& id, int rank);

}  // namespace concur::mpi::detail
