// Process-wide logging for the CLIs: text or JSON lines (runc's --log-format) to stderr
// or to a log file. Not for use between clone and execve in a container init.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

// Sends records to `path` (appended) instead of stderr; an empty path keeps stderr.
Status set_file(const std::string& path);
void set_format(Format format);
void set_debug(bool on);
// Also echo errors to stderr when logging to a file (runc does).
void set_echo_errors(bool on);

void write(Level level, std::string_view message);
inline void debug(std::string_view m) { write(Level::kDebug, m); }
inline void info(std::string_view m) { write(Level::kInfo, m); }
inline void warn(std::string_view m) { write(Level::kWarn, m); }
inline void error(std::string_view m) { write(Level::kError, m); }

}  // namespace berth::log
