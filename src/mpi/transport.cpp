// Frames over MPI point-to-point messages: see transport.hpp.
#include "mpi/transport.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "concur/multiprocessing/errors.hpp"
#include "mpi/frames.hpp"

namespace concur::mpi::detail {

std::size_t piece_bytes() {
  static const std::size_t piece = [] {
    std::size_t p = std::size_t{1} << 30;
    if (const char* v = std::getenv("CONCUR_MPI_PIECE_BYTES")) {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v, &end, 10);
      if (end != v && *end == '\0' && n >= header_size && n <= p) p = static_cast<std::size_t>(n);
    }
    return p;
  }();
  return piece;
}

Transport::Transport(MPI_Comm comm, int recv_tag)
    : comm_(comm), recv_tag_(recv_tag), piece_(piece_bytes()) {}

Transport::~Transport() = default;

void Transport::send(int dest, int tag, std::string frame) {
  Out& o = outbox_.emplace_back();
  o.frame = std::move(frame);
  const std::size_t total = o.frame.size();
  for (std::size_t at = 0; at < total || at == 0; at += piece_) {
    const std::size_t n = std::min(piece_, total - at);
    MPI_Request r;
    MPI_Isend(o.frame.data() + at, static_cast<int>(n), MPI_BYTE, dest,
              at == 0 ? tag : tag + tag_continued, comm_, &r);
    o.requests.push_back(r);
    if (total == 0) break;
  }
}

bool Transport::progress() {
  bool any = false;
  while (!outbox_.empty()) {  // completion in order is enough: sends to one rank are ordered
    Out& o = outbox_.front();
    int done = 0;
    MPI_Testall(static_cast<int>(o.requests.size()), o.requests.data(), &done, MPI_STATUSES_IGNORE);
    if (done == 0) break;
    outbox_.pop_front();
    any = true;
  }
  // Later frames may have completed before a large first one; they are freed when it is.
  return any;
}

std::optional<Received> Transport::try_recv() {
  int flag = 0;
  MPI_Status st;
  MPI_Iprobe(MPI_ANY_SOURCE, recv_tag_, comm_, &flag, &st);
  if (flag == 0) return std::nullopt;
  int n = 0;
  MPI_Get_count(&st, MPI_BYTE, &n);
  Received r;
  r.source = st.MPI_SOURCE;
  std::string first(static_cast<std::size_t>(std::max(n, 0)), '\0');
  MPI_Recv(first.data(), n, MPI_BYTE, st.MPI_SOURCE, recv_tag_, comm_, MPI_STATUS_IGNORE);
  std::uint64_t total = 0;
  if (first.size() >= header_size) std::memcpy(&total, first.data() + 8, sizeof total);
  if (first.size() < header_size || total < first.size() || total > max_frame)
    throw multiprocessing::ProcessError("concur::mpi: malformed frame header from rank " +
                                        std::to_string(st.MPI_SOURCE));
  if (total == first.size()) {
    r.frame = std::move(first);
    return r;
  }
  r.frame = std::move(first);
  r.frame.resize(static_cast<std::size_t>(total));
  std::size_t got = static_cast<std::size_t>(n);
  while (got < total) {  // the later pieces were sent right after the first
    MPI_Status cs;
    MPI_Probe(st.MPI_SOURCE, recv_tag_ + tag_continued, comm_, &cs);
    int m = 0;
    MPI_Get_count(&cs, MPI_BYTE, &m);
    if (m <= 0 || static_cast<std::size_t>(m) > total - got)
      throw multiprocessing::ProcessError("concur::mpi: malformed continued frame from rank " +
                                          std::to_string(st.MPI_SOURCE));
    MPI_Recv(r.frame.data() + got, m, MPI_BYTE, st.MPI_SOURCE, recv_tag_ + tag_continued, comm_,
             MPI_STATUS_IGNORE);
    got += static_cast<std::size_t>(m);
  }
  return r;
}

void Transport::flush() {
  for (Out& o : outbox_)
    MPI_Waitall(static_cast<int>(o.requests.size()), o.requests.data(), MPI_STATUSES_IGNORE);
  outbox_.clear();
}

}  // namespace concur::mpi::detail
