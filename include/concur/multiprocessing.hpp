// concur/multiprocessing.hpp — Python's multiprocessing for C++20 on Linux:
// Process, Pool, AsyncResult, SharedMemory, SharedArray, Value, Pipe/Connection, Queue,
// cpu_count() and set_start_method().
//
//   #include <concur/multiprocessing.hpp>
//   namespace mp = concur::multiprocessing;
//   int main() {
//     mp::Pool pool(2);
//     auto squares = pool.map(+[](int x) { return x * x; }, std::vector{1, 2, 3});   // {1, 4, 9}
//   }
//
// Functions given to a Pool or Process are function pointers or capture-less lambdas; their
// arguments and results travel serialized with cereal binary archives (arithmetic types,
// enums, std::string, standard containers, pair/tuple/optional, and user types with a
// serialize(Archive&) member), except SharedArray/SharedMemory/Value/Connection/Queue, which
// travel as handles (file descriptors), never as data.
// Start methods: fork (default), forkserver and spawn (freeze_support() first in main).
// A task's exception comes back as its own type
// where it can be rebuilt; bodies over 64 KiB travel through a sealed memfd, not a socket.
// Beyond Python: a worker that dies fails only its task with WorkerCrashed and is replaced
// (Python's Pool hangs); workers die with their parent; pools never leave zombies.
//
// Thread safety: see each header; Pool is safe from any thread.
#pragma once

#include "concur/multiprocessing/async_result.hpp"
#include "concur/multiprocessing/connection.hpp"
#include "concur/multiprocessing/errors.hpp"
#include "concur/multiprocessing/imap.hpp"
#include "concur/multiprocessing/initializer.hpp"
#include "concur/multiprocessing/pool.hpp"
#include "concur/multiprocessing/process.hpp"
#include "concur/multiprocessing/queue.hpp"
#include "concur/multiprocessing/shared_memory.hpp"
#include "concur/multiprocessing/start_method.hpp"
#include "concur/multiprocessing/synchronize.hpp"
#include "concur/multiprocessing/value.hpp"
