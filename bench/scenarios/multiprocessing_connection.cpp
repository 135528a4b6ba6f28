// connection_roundtrip (shared/BENCH.md): echoes over Listener/Client with an authkey, the
// echo server in another process; 10^4 × 8 bytes and 100 × 1 MiB, on AF_UNIX and on TCP
// loopback, beside Python's multiprocessing.connection doing the same. Reference:
// concur_unix_8b (compare each concur_X row with its python_connection_X twin).
#include <unistd.h>
#include <concur/multiprocessing.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "harness/harness.hpp"

namespace {

namespace mp = concur::multiprocessing;
namespace conn = concur::multiprocessing::connection;
using concur::bench::Register;
using concur::bench::Scenario;
using concur::bench::time_it;

void echo_server(std::string address, mp::Connection ready) {
  conn::Listener listener(address, "bench");
  ready.send(listener.address());
  mp::Connection c = listener.accept();
  try {
    for (;;) c.send_bytes(c.recv_bytes());
  } catch (const mp::EOFError&) {
  }
}

double concur_echo(bool tcp, std::size_t size, int count) {
  const std::string address = tcp ? "127.0.0.1:0"
                                  : (std::filesystem::temp_directory_path() /
                                     ("concur-bench-" + std::to_string(::getpid()) + ".sock"))
                                        .string();
  auto [ours, theirs] = mp::Pipe();
  mp::Process server(&echo_server, address, theirs);
  server.start();
  const auto bound = ours.recv<std::string>();
  double t = 0;
  {
    mp::Connection c = conn::Client(bound, "bench");
    const std::string message(size, 'x');
    t = time_it([&] {
      for (int i = 0; i < count; ++i) {
        c.send_bytes(message);
        concur::bench::do_not_optimize(c.recv_bytes());
      }
    });
  }
  server.join();
  return t;
}

int count_8b() { return concur::bench::quick() ? 1000 : 10'000; }
int count_1mib() { return concur::bench::quick() ? 10 : 100; }

double python_echo(const char* family, std::size_t size, int count) {
  return concur::bench::run_python("connection_roundtrip.py",
                                   {family, std::to_string(size), std::to_string(count)});
}

Register roundtrip{[] {
  constexpr std::size_t mib = 1 << 20;
  return Scenario{
      .id = "connection_roundtrip",
      .description = "10^4 x 8-byte and 100 x 1 MiB echoes over Listener/Client, unix and tcp",
      .reference = "concur_unix_8b",
      .impls = {{"concur_unix_8b", [] { return concur_echo(false, 8, count_8b()); }},
                {"concur_tcp_8b", [] { return concur_echo(true, 8, count_8b()); }},
                {"concur_unix_1mib", [] { return concur_echo(false, mib, count_1mib()); }},
                {"concur_tcp_1mib", [] { return concur_echo(true, mib, count_1mib()); }},
                {"python_connection_unix_8b", [] { return python_echo("unix", 8, count_8b()); }},
                {"python_connection_tcp_8b", [] { return python_echo("tcp", 8, count_8b()); }},
                {"python_connection_unix_1mib",
                 [] { return python_echo("unix", mib, count_1mib()); }},
                {"python_connection_tcp_1mib",
                 [] { return python_echo("tcp", mib, count_1mib()); }}},
      .repetitions = 5};
}};

}  // namespace
