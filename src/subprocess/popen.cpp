// Popen: construction (see prepare.cpp for turning Options into a plan), moves, accessors.
// Waiting and signals are in process.cpp.
#include <stdexcept>

#include "concur/subprocess.hpp"
#include "subprocess/prepare.hpp"
#include "subprocess/spawn.hpp"
#include "subprocess/state.hpp"

namespace concur::subprocess {

Popen::Popen(std::vector<std::string> args, Options options) : state_(std::make_unique<State>()) {
  if (args.empty()) throw std::invalid_argument("concur::subprocess::Popen: empty args");
  detail::check_popen_options(options);
  detail::Prepared prepared;
  detail::prepare(prepared, args, options);
  auto spawned = detail::spawn(prepared.plan);  // throws SpawnError; `prepared` closes the fds

  State& s = *state_;
  s.args = std::move(args);
  s.pid = spawned.pid;
  s.pidfd = std::move(spawned.pidfd);
  s.text = options.text;
  s.leads_group = options.start_new_session || options.process_group == 0;
  s.pipesize_fixed = options.pipesize.value_or(0) > 0;
  PipeStream* streams[3] = {&s.in, &s.out, &s.err};
  for (int i = 0; i < 3; ++i) {
    s.piped[i] = prepared.ours[i].get() >= 0;
    PopenAccess::fd(*streams[i]) = prepared.ours[i].release();
    PopenAccess::text(*streams[i]) = options.text;
  }
}

Popen::~Popen() {
  if (!state_) return;
  try {
    state_->out.close();
    state_->err.close();
    state_->in.close();
    state_->wait_until(concur::detail::Deadline::never());
  } catch (...) {  // a destructor never throws
  }
}

Popen::Popen(Popen&&) noexcept = default;
Popen& Popen::operator=(Popen&& other) noexcept {
  if (this != &other) {
    Popen old(std::move(*this));  // waits for our current child, as destruction would
    state_ = std::move(other.state_);
  }
  return *this;
}

pid_t Popen::pid() const { return state_->pid; }
const std::vector<std::string>& Popen::args() const { return state_->args; }
std::optional<int> Popen::returncode() const { return state_->returncode; }

PipeStream& Popen::in() {
  if (!state_->piped[0]) throw std::logic_error("concur::subprocess::Popen: in is not piped");
  return state_->in;
}
PipeStream& Popen::out() {
  if (!state_->piped[1]) throw std::logic_error("concur::subprocess::Popen: out is not piped");
  return state_->out;
}
PipeStream& Popen::err() {
  if (!state_->piped[2]) throw std::logic_error("concur::subprocess::Popen: err is not piped");
  return state_->err;
}

}  // namespace concur::subprocess
