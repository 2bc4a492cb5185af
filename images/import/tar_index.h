// A listing of the members of an outer tar archive (a `docker save` file): where each
// member's bytes lie, so they can be streamed into the content store with pread. It reads
// headers only (ustar, GNU long names, pax paths and sizes) and never extracts anything:
// layer contents are the unpacker's business.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::images {

struct TarMember {
  std::string name;     // normalised: no leading "./", no trailing "/"
  char type = '0';      // '0' file, '1' hard link, '2' symlink, '5' directory, ...
  uint64_t offset = 0;  // of the data in the archive
  uint64_t size = 0;
  std::string link;  // the target of a link
};

class TarIndex {
 public:
  // Lists the archive at `fd` (read with pread; the fd's offset is untouched).
  static Result<TarIndex> read(int fd, std::string_view what);

  // The regular file `name`, following symlinks and hard links inside the archive.
  [[nodiscard]] Result<TarMember> file(std::string_view name) const;
  [[nodiscard]] const std::map<std::string, TarMember>& members() const { return members_; }

 private:
  std::map<std::string, TarMember> members_;
  std::string what_;
};

// The whole data of `member` of the archive at `fd` (for small members: manifests, indexes).
Result<std::string> read_member(int fd, const TarMember& member);

}  // namespace berth::images
