#include "printer.hpp"

#include "progress.hpp"

namespace concur::cli::run {

std::string tag_of(const JobResult& r) {
  std::string t;
  for (const auto& v : r.values) t += (t.empty() ? "" : " ") + v;
  return t + '\t';
}

// Writes `data` to fd; with a tag, every line gets the prefix. `partial` carries an
// unfinished line between calls when line-buffering; `last` flushes it. A "line" longer
// than kMaxPartial is passed on in pieces, so memory stays bounded without newlines.
void Printer::emit(int fd, const std::string& tag, std::string_view data, std::string& partial,
                   bool last) {
  constexpr std::size_t kMaxPartial = 64 * 1024;
  if (progress_ != nullptr) progress_->clear();
  std::string& out = scratch_;  // reused: no allocation per chunk
  out.clear();
  std::size_t pos = 0;
  while (pos < data.size()) {
    const auto nl = data.find('\n', pos);
    if (nl == std::string_view::npos) break;
    out += tag;
    out += partial;
    partial.clear();
    out.append(data.substr(pos, nl + 1 - pos));
    pos = nl + 1;
    if (out.size() >= kMaxPartial) {
      write_all(fd, out);
      out.clear();
    }
  }
  partial.append(data.substr(pos));
  if (!partial.empty() && (last || partial.size() >= kMaxPartial)) {
    out += tag + partial;
    if (last) out += '\n';
    partial.clear();
  }
  if (!out.empty()) write_all(fd, out);
}

void Printer::chunk(const JobResult& r, int stream, std::string_view data) {
  if (o_.quiet || !o_.line_buffer) return;
  auto& partial = (stream == 1 ? partial_out_ : partial_err_)[r.seq];
  emit(stream == 1 ? o_.out_fd : o_.err_fd, o_.tag ? tag_of(r) : "", data, partial, false);
}

void Printer::print_whole(const std::string& tag, Capture& out, Capture& err) {
  if (progress_ != nullptr) progress_->clear();
  const auto pass = [&](Capture& c, int fd) {
    if (tag.empty()) {
      c.replay([&](std::string_view chunk) { write_all(fd, chunk); });
      return;
    }
    std::string partial;
    c.replay([&](std::string_view chunk) { emit(fd, tag, chunk, partial, false); });
    emit(fd, tag, {}, partial, true);
  };
  pass(out, o_.out_fd);
  pass(err, o_.err_fd);
}

void Printer::finished(const JobResult& r, Capture& out, Capture& err) {
  if (o_.quiet) return;
  if (o_.failures_only && !o_.line_buffer && r.outcome == Outcome::passed) {
    nothing_for(r.seq);
    return;
  }
  const std::string tag = o_.tag ? tag_of(r) : "";
  if (o_.line_buffer) {
    emit(o_.out_fd, tag, {}, partial_out_[r.seq], true);
    emit(o_.err_fd, tag, {}, partial_err_[r.seq], true);
    partial_out_.erase(r.seq);
    partial_err_.erase(r.seq);
    return;
  }
  if (!o_.keep_order) {
    print_whole(tag, out, err);
    return;
  }
  // Outputs waiting for an earlier job stay bounded too: beyond 16 MiB they go to files.
  constexpr std::size_t kMaxHeldMemory = std::size_t{16} << 20;
  if (held_memory_ + out.memory_bytes() + err.memory_bytes() > kMaxHeldMemory) {
    out.spill_now();
    err.spill_now();
  }
  held_memory_ += out.memory_bytes() + err.memory_bytes();
  held_.emplace(r.seq, Held{tag, std::move(out), std::move(err)});
  advance();
}

void Printer::nothing_for(std::size_t seq) {
  if (!o_.keep_order || o_.quiet || o_.line_buffer) return;
  empty_[seq] = true;
  advance();
}

void Printer::advance() {
  for (;;) {
    if (empty_.erase(next_seq_) > 0) {
      ++next_seq_;
      continue;
    }
    const auto it = held_.find(next_seq_);
    if (it == held_.end()) return;
    print_whole(it->second.tag, it->second.out, it->second.err);
    held_memory_ -= it->second.out.memory_bytes() + it->second.err.memory_bytes();
    held_.erase(it);
    ++next_seq_;
  }
}

void Printer::flush() {
  for (auto& [seq, h] : held_) print_whole(h.tag, h.out, h.err);
  held_.clear();
  held_memory_ = 0;
}

}  // namespace concur::cli::run
