#include "common/result.h"

#include <cstring>

namespace berth {

Error Error::from_errno(std::string_view what, int code) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(code);
  return Error(code, std::move(msg));
}

Error Error::context(std::string_view what) const& {
  std::string msg(what);
  msg += ": ";
  msg += message_;
  return Error(code_, std::move(msg));
}

Error Error::context(std::string_view what) && {
  std::string msg(what);
  msg += ": ";
  msg += message_;
  message_ = std::move(msg);
  return std::move(*this);
}

}  // namespace berth
