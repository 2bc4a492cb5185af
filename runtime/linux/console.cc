#include "runtime/linux/console.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "common/file.h"
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

Result<UniqueFd> receive_pty_master(int socket_fd) {
  BERTH_ASSIGN(auto msg, sync_receive(socket_fd, "container init (console)"));
  if (msg.fd < 0) return Error(EPROTO, "the container init sent no pty master");
  return UniqueFd(msg.fd);
}

namespace {

// Restores the terminal mode when the proxy ends.
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

bool copy_once(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return false;
  return write_all(to, std::string_view(buf, static_cast<size_t>(n)), "terminal").ok();
}

}  // namespace

void proxy_pty(int master) {
  RawTerminal raw;
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
  bool stdin_open = true;
  for (;;) {
    pollfd fds[2] = {{master, POLLIN, 0}, {STDIN_FILENO, static_cast<short>(stdin_open ? POLLIN : 0), 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!copy_once(master, STDOUT_FILENO)) return;
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) stdin_open = copy_once(STDIN_FILENO, master);
  }
}

}  // namespace berth::rt
