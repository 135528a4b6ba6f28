// Test helper: prints the fds open in this process, space-separated ("0 1 2 7"), from
// /proc/self/fd (the directory's own fd excluded).
#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <set>

int main() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 1;
  std::set<int> fds;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const int fd = std::atoi(e->d_name);
    if (fd != ::dirfd(dir)) fds.insert(fd);
  }
  ::closedir(dir);
  const char* sep = "";
  for (int fd : fds) {
    std::printf("%s%d", sep, fd);
    sep = " ";
  }
  std::printf("\n");
  return 0;
}
