// concur/concur.hpp — everything concur offers, in one include.
//
//   #include <concur/concur.hpp>
//   auto r = concur::subprocess::run({"echo", "hi"}, {.capture_output = true, .check = true});
//
// Each module's header also compiles on its own; include just the one you use
// to keep build times down. Thread safety: see each module's header.
#pragma once

#include "concur/duration.hpp"
#include "concur/futures.hpp"
#include "concur/multiprocessing.hpp"
#include "concur/queue.hpp"
#include "concur/shlex.hpp"
#include "concur/subprocess.hpp"
#include "concur/threading.hpp"
#include "concur/version.hpp"
