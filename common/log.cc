#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include "common/file.h"
#include "common/json.h"
#include "common/time.h"

namespace berth::log {
namespace {

struct Sink {
  int fd = STDERR_FILENO;
  Format format = Format::kText;
  bool debug = false;
  bool echo_errors = true;
};

Sink& sink() {
  static Sink s;
  return s;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

std::string format_record(Level level, std::string_view message, Format format) {
  if (format == Format::kJson) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    json_key(w, "level");
    json_string(w, level_name(level));
    json_key(w, "msg");
    json_string(w, message);
    json_key(w, "time");
    json_string(w, rfc3339_now());
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
  }
  return std::string(level_name(level)) + ": " + std::string(message) + "\n";
}

}  // namespace

Status set_file(const std::string& path) {
  if (path.empty()) return ok();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Error::from_errno("open log file " + path);
  sink().fd = fd;
  return ok();
}

void set_format(Format format) { sink().format = format; }
void set_debug(bool on) { sink().debug = on; }
void set_echo_errors(bool on) { sink().echo_errors = on; }

void write(Level level, std::string_view message) {
  Sink& s = sink();
  if (level == Level::kDebug && !s.debug) return;
  std::string record = format_record(level, message, s.format);
  (void)write_all(s.fd, record, "log");
  if (level == Level::kError && s.echo_errors && s.fd != STDERR_FILENO) {
    std::string plain = std::string(message) + "\n";
    (void)write_all(STDERR_FILENO, plain, "stderr");
  }
}

}  // namespace berth::log
