#include "isolators/ports/netns.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <string>

#include "common/file.h"

namespace berth::isolators::ports {

Result<UniqueFd> open_netns(pid_t pid) {
  return open_path("/proc/" + std::to_string(pid) + "/ns/net", O_RDONLY | O_CLOEXEC);
}

Result<NamespaceId> namespace_id(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error::from_errno("fstat network namespace fd " + std::to_string(fd));
  return NamespaceId{st.st_dev, st.st_ino};
}

Result<NamespaceId> own_netns_id() {
  struct stat st {};
  if (::stat("/proc/thread-self/ns/net", &st) != 0) return Error::from_errno("stat /proc/thread-self/ns/net");
  return NamespaceId{st.st_dev, st.st_ino};
}

}  // namespace berth::isolators::ports
