// The worker's loop. Runs in a forked child: it calls the trampoline whose address the
// parent sent (valid here: the child runs the same binary image, fork()ed from the parent or
// from the forkserver, itself forked from the parent) and answers with the result or a
// WireError describing the exception. It always leaves with _exit(): the parent's atexit
// handlers and static destructors are the parent's business.
#include <malloc.h>
#include <stdio_ext.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>

#include "concur/multiprocessing/detail/remote_error.hpp"
#include "concur/multiprocessing/detail/trampolines.hpp"
#include "multiprocessing/image.hpp"
#include "multiprocessing/queue_exit.hpp"
#include "multiprocessing/spawn.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::multiprocessing::detail {

void run_task(const Message& task, Message& reply, void (*after)(Message& reply)) {
  reply.id = task.id;
  reply.count = 0;
  reply.body.clear();
  reply.fds.clear();
  try {
    const auto trampoline = reinterpret_cast<Trampoline>(task.trampoline);
    trampoline(task, reply);
    if (after != nullptr) after(reply);
    reply.kind = Kind::result;
    return;
  } catch (...) {
    reply.kind = Kind::error;
    reply.count = 0;
    reply.body.clear();
    reply.fds.clear();
    try {
      write_values(reply.body, reply.fds, describe_current_exception());
    } catch (...) {  // out of memory while describing it: an empty error
      reply.body.clear();
    }
  }
}

namespace {

// A spawned worker receives code addresses as image offsets (image.hpp). One it cannot map
// (a library that failed to load) fails its task with this trampoline instead.
std::string& unmappable_reason() {
  static std::string reason;
  return reason;
}
void unmappable_trampoline(const Message&, Message&) { throw ProcessError(unmappable_reason()); }

void load_modules_from(const Message& m) {
  try {
    Reader reader(m.body.view(), m.fds);
    load_modules(static_cast<std::size_t>(m.id), reader.read<std::vector<std::string>>());
  } catch (const std::exception& e) {
    unmappable_reason() = e.what();  // the tasks that need them fail with this
  }
}

void map_code_addresses(Message& task) {
  try {
    task.trampoline = decode_code_address(task.trampoline);
    task.fn = decode_code_address(task.fn);
  } catch (const std::exception& e) {
    if (unmappable_reason().empty()) unmappable_reason() = e.what();
    task.trampoline = reinterpret_cast<std::uintptr_t>(&unmappable_trampoline);
  }
}

// After a reply, a worker watches its channel for a short while before it sleeps in read():
// the next task of a caller that submits one at a time arrives within it, and a sleeping
// worker costs a wake-up (tens of microseconds on a virtual machine) before it can run it. It
// yields the core meanwhile, so that a caller on the same core runs at once. The watching is
// the read itself, non-blocking (recv_message's poll_for): the task that arrives is read by the
// same call that found it.
constexpr auto linger_after_reply = std::chrono::microseconds(50);

// What a task printed reaches the terminal or the parent's pipe before its result is reported
// (Python flushes sys.stdout and sys.stderr only when the worker exits). Only stdout and stderr,
// and only if they hold output: fflush(nullptr) locks and walks every open FILE, ~1 % of a
// round trip's CPU. Other files a task left open are flushed when the worker exits.
void flush_std_streams() {
  if (__fpending(stdout) > 0) std::fflush(stdout);
  if (__fpending(stderr) > 0) std::fflush(stderr);
}

[[noreturn]] void finish_process_task(const Message& reply) {
  if (reply.kind == Kind::error) {
    std::string what = "unknown exception";
    try {
      Reader reader(reply.body.view(), reply.fds);
      what = to_string(reader.read<WireError>());
    } catch (...) {
    }
    std::fprintf(stderr, "Process %d: %s\n", static_cast<int>(::getpid()), what.c_str());
    std::fflush(stderr);
    ::_exit(1);
  }
  ::_exit(0);
}

}  // namespace

void worker_main(int channel) {
  // Tasks come again and again with bodies of similar sizes. glibc would mmap() each big
  // allocation (a 40 MB argument vector) afresh and munmap() it after the task, so every task
  // paid a page fault per 4 KiB again (on a VM, most of the cost of a big argument). A worker
  // keeps what it freed instead: big blocks come from the heap, which is trimmed only past
  // 512 MiB free at its top.
  ::mallopt(M_MMAP_MAX, 0);
  ::mallopt(M_TRIM_THRESHOLD, 512 << 20);
  Message task, reply;
  bool replied = false;
  for (;;) {
    bool got = false;
    try {
      got = recv_message(channel, task,
                         replied ? linger_after_reply : std::chrono::microseconds::zero());
    } catch (...) {
      got = false;
    }
    if (!got || task.kind == Kind::stop) {  // EOF: the parent is gone or done
      flush_queue_feeders();                // Python's rule: queues' buffers are flushed first
      std::fflush(nullptr);                 // a file a task left open (stdout is flushed)
      ::_exit(0);
    }
    if (task.kind == Kind::identity) {
      set_identity(task);
      continue;
    }
    if (task.kind == Kind::modules) {
      load_modules_from(task);
      continue;
    }
    if (in_spawned_worker()) map_code_addresses(task);
    run_task(task, reply);
    task.fds.clear();
    task.body.clear();
    if (task.kind == Kind::process_task) {
      std::fflush(nullptr);
      flush_queue_feeders();
      finish_process_task(reply);
    }
    flush_std_streams();
    bool sent = false;
    try {
      sent = send_message(channel, reply);
    } catch (...) {
      sent = false;
    }
    if (!sent) ::_exit(0);
    replied = true;
  }
}

}  // namespace concur::multiprocessing::detail
