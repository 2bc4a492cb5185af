// The unpack policy of the unit tests: owners are kept only when the tests run as root
// (chown needs CAP_CHOWN), everything else as a user would have it.
#pragma once

#include <unistd.h>

#include "images/unpack/layer_unpacker.h"

namespace berth::testing {

inline images::UnpackPolicy test_unpack_policy() {
  images::UnpackPolicy p;
  p.preserve_owners = ::geteuid() == 0;
  return p;
}

}  // namespace berth::testing
