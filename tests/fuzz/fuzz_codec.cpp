// Fuzzes multiprocessing's task/result codec as a parent decoding a worker's reply: the
// cereal values of a result (detail/wire.hpp Reader), a chunk of results (detail/codec.hpp
// ItemReader, the count coming from the frame header) and a task's exception (WireError,
// rebuilt by rethrow()). Untrusted bytes decode or throw — never a crash, and never an
// allocation far beyond the bytes given (libFuzzer's -malloc_limit_mb catches those).
#include <concur/multiprocessing/detail/codec.hpp>
#include <concur/multiprocessing/detail/remote_error.hpp>
#include <concur/multiprocessing/detail/wire.hpp>
#include <concur/multiprocessing/errors.hpp>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "fuzz_support.hpp"

namespace {

namespace detail = concur::multiprocessing::detail;

template <class T>
void decode(std::string_view bytes) {
  const detail::FdList no_fds;
  try {
    detail::Reader reader(bytes, no_fds);
    (void)reader.read<T>();
  } catch (const std::exception&) {  // cereal::Exception, ProcessError: the expected errors
  }
}

template <class T>
void decode_chunk(std::uint64_t count, std::string_view bytes) {
  const detail::FdList no_fds;
  try {
    detail::ItemReader<T> reader(bytes, no_fds, count);
    std::vector<T> out;
    reader.append_to(out);
    concur::fuzz::require(out.size() == count, "a chunk yields its count");
  } catch (const std::exception&) {
  }
}

void decode_error(std::string_view bytes) {
  const detail::FdList no_fds;
  detail::WireError e;
  try {
    detail::Reader reader(bytes, no_fds);
    e = reader.read<detail::WireError>();
  } catch (const std::exception&) {
    return;
  }
  try {
    detail::rethrow(e);
  } catch (...) {  // whatever it rebuilds is the task's exception: anything goes, but not a crash
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return 0;
  std::uint64_t count = 0;
  std::memcpy(&count, data + 1, sizeof count);
  const auto bytes = concur::fuzz::as_text(data + 9, size - 9);
  switch (data[0] % 12) {
    case 0:
      decode<long>(bytes);
      break;
    case 1:
      decode<std::string>(bytes);
      break;
    case 2:
      decode<std::vector<double>>(bytes);
      break;
    case 3:
      decode<std::tuple<int, std::string, std::vector<int>>>(bytes);
      break;
    case 4:
      decode<std::map<std::string, std::vector<std::string>>>(bytes);
      break;
    case 5:
      decode<std::optional<std::string>>(bytes);
      break;
    case 6:
      decode<std::variant<int, std::string, std::vector<long>>>(bytes);
      break;
    case 7:
      decode<std::vector<std::vector<std::string>>>(bytes);
      break;
    case 8:
      decode_chunk<double>(count, bytes);
      break;
    case 9:
      decode_chunk<std::string>(count, bytes);
      break;
    case 10:
      decode_chunk<std::vector<int>>(count, bytes);
      break;
    default:
      decode_error(bytes);
      break;
  }
  return 0;
}
