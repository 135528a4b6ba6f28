// Internal to concur::mpi: frames over MPI point-to-point messages, for the one thread of a
// process that owns MPI (rank 0's dispatcher, an agent's main loop).
//
// Sends never block: each frame goes out with MPI_Isend and its buffer is kept until the send
// completed (two ranks each sending a large frame to the other can never deadlock). A frame
// larger than the piece size (1 GiB; MPI counts are ints) is split: the first piece on the
// frame tag, the rest on the continuation tag, which the receiver reads right after the first
// (MPI keeps messages of one source and tag in order). CONCUR_MPI_PIECE_BYTES overrides the
// piece size (tests use a small one to exercise the split).
//
// Thread safety: none; one owner thread.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace concur::mpi::detail {

inline constexpr int tag_to_agent = 101;
inline constexpr int tag_to_root = 102;
inline constexpr int tag_continued = 100;  // added to the frame tag for later pieces

/// The largest frame a rank accepts (64 GiB): a bogus length is refused, not allocated.
inline constexpr std::size_t max_frame = std::size_t{64} << 30;

struct Received {
  int source = -1;
  std::string frame;
};

class Transport {
 public:
  /// Receives frames sent with `recv_tag` on `comm`.
  Transport(MPI_Comm comm, int recv_tag);
  ~Transport();  // cancels nothing: flush() first where sends must arrive
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Starts sending `frame` to `dest` with `tag`.
  void send(int dest, int tag, std::string frame);
  /// Completes what finished; true if some send completed.
  bool progress();
  /// Sends not completed yet.
  bool sending() const { return !outbox_.empty(); }
  /// The next complete frame, if one has arrived. Throws ProcessError for a malformed or
  /// oversized frame.
  std::optional<Received> try_recv();
  /// Waits until every send completed.
  void flush();

 private:
  struct Out {
    std::string frame;
    std::vector<MPI_Request> requests;
  };
  MPI_Comm comm_;
  int recv_tag_;
  std::size_t piece_;
  std::deque<Out> outbox_;
};

/// The piece size (CONCUR_MPI_PIECE_BYTES, else 1 GiB).
std::size_t piece_bytes();

}  // namespace concur::mpi::detail
