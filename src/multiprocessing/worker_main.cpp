// The worker's loop. Runs in a forked child: it calls the trampoline whose address the
// parent sent (valid here: the child runs the same binary image, fork()ed from the parent or
// from the forkserver, itself forked from the parent) and answers with the result or the
// exception's type and message. It always leaves with _exit(): the parent's atexit handlers
// and static destructors are the parent's business.
#include <cxxabi.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>

#include "multiprocessing/queue_exit.hpp"
#include "multiprocessing/worker_link.hpp"

namespace concur::multiprocessing::detail {
namespace {

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                           std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

// Runs one task; fills `reply` with the result or the error.
void run_task(const Message& task, Message& reply) {
  reply.id = task.id;
  reply.body.clear();
  reply.fds.clear();
  try {
    const auto trampoline = reinterpret_cast<Trampoline>(static_cast<std::uintptr_t>(task.a));
    trampoline(static_cast<std::uintptr_t>(task.b), task.body, task.fds, reply.body, reply.fds);
    reply.kind = Kind::result;
  } catch (const std::exception& e) {
    reply.kind = Kind::error;
    reply.fds.clear();
    reply.body = demangle(typeid(e).name());
    reply.body.push_back('\0');
    reply.body += e.what();
  } catch (...) {
    reply.kind = Kind::error;
    reply.fds.clear();
    const std::type_info* t = abi::__cxa_current_exception_type();
    reply.body = t != nullptr ? demangle(t->name()) : std::string("unknown exception");
    reply.body.push_back('\0');
  }
}

}  // namespace

void worker_main(int channel) {
  Message task, reply;
  for (;;) {
    bool got = false;
    try {
      got = recv_message(channel, task);
    } catch (...) {
      got = false;
    }
    if (!got || task.kind == Kind::stop) {  // EOF: the parent is gone or done
      flush_queue_feeders();                // Python's rule: queues' buffers are flushed first
      ::_exit(0);
    }
    run_task(task, reply);
    task.fds.clear();
    std::fflush(nullptr);
    if (task.kind == Kind::process_task) {
      flush_queue_feeders();
      if (reply.kind == Kind::error) {
        const auto nul = reply.body.find('\0');
        std::fprintf(stderr, "Process %d: %s: %s\n", static_cast<int>(::getpid()),
                     reply.body.substr(0, nul).c_str(), reply.body.c_str() + nul + 1);
        std::fflush(stderr);
        ::_exit(1);
      }
      ::_exit(0);
    }
    bool sent = false;
    try {
      sent = send_message(channel, reply);
    } catch (...) {
      sent = false;
    }
    if (!sent) ::_exit(0);
  }
}

}  // namespace concur::multiprocessing::detail
