#include "runtime/linux/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "runtime/linux/sync.h"

namespace berth::rt {

Result<UniqueFd> connect_console_socket(const std::string& path) {
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return Error::from_errno("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Error(ENAMETOOLONG, "console socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error::from_errno("connect to console socket " + path);
  }
  return sock;
}

Status setup_console(int socket_fd, bool bind_console, const std::optional<oci::ConsoleSize>& size) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return Error::from_errno("open /dev/ptmx");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return Error::from_errno("unlock pty");
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return Error::from_errno("open pty slave");
  char name[64] = {};
  if (::ptsname_r(master.get(), name, sizeof name) != 0) return Error::from_errno("ptsname");
  if (size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    ::ioctl(slave.get(), TIOCSWINSZ, &ws);
  }
  if (bind_console) {
    int f = ::open("/dev/console", O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f >= 0) ::close(f);
    if (::mount(name, "/dev/console", nullptr, MS_BIND, nullptr) != 0) return Error::from_errno("bind /dev/console");
  }
  BERTH_TRY(send_fd(socket_fd, master.get(), name).context("send the pty master to the console socket"));
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) return Error::from_errno("make the pty the controlling terminal");
  for (int fd = 0; fd < 3; ++fd) {
    if (::dup3(slave.get(), fd, 0) < 0) return Error::from_errno("dup pty to fd " + std::to_string(fd));
  }
  return ok();
}

}  // namespace berth::rt
