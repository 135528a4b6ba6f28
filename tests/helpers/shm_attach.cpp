// An unrelated process for the named SharedMemory tests: attaches POSIX shared memory by the
// name Python would use (no leading '/'), prints its size and the byte at OFFSET, then
// stores VALUE there. Usage: shm_attach NAME OFFSET VALUE. Exit 2 if the name does not exist.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) return 64;
  const std::string path = std::string("/") + argv[1];
  const int fd = ::shm_open(path.c_str(), O_RDWR, 0);
  if (fd < 0) return 2;
  struct stat st {};
  if (::fstat(fd, &st) < 0 || st.st_size <= 0) return 3;
  const auto size = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return 4;
  const auto offset = std::strtoul(argv[2], nullptr, 10);
  if (offset >= size) return 5;
  auto* bytes = static_cast<unsigned char*>(p);
  std::printf("%zu %u\n", size, static_cast<unsigned>(bytes[offset]));
  bytes[offset] = static_cast<unsigned char>(std::strtoul(argv[3], nullptr, 10));
  ::munmap(p, size);
  ::close(fd);
  return 0;
}
