// The allocations of one subnet on disk, one small entry per allocation, so that handing out
// or freeing an address costs the same however many are held:
//   <dir>/pool.json              {"version": 2, "subnet": ...}, written once
//   <dir>/addresses/<address>    a symlink whose target is the container id: the claim. It is
//                                made with symlinkat(), which fails when the name exists, so
//                                no two processes ever hold one address.
//   <dir>/containers/<id>        a symlink to the address: the index by container (an id
//                                holding bytes other than [A-Za-z0-9_.:-] is %-escaped)
//   <dir>/last                   a symlink to the last address handed out: a round-robin hint
// Nothing is fsynced: allocations matter while the host is up, and a host crash takes every
// container's network with it (recover() then frees what is left).
// The addresses/ entries are the truth; a containers/ entry whose address does not name the
// container back (a crash between the two steps) is ignored and replaced. Knows nothing of
// which address to choose: that is AddressPool's policy.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/fd.h"
#include "common/result.h"
#include "networking/addr/ip_address.h"

namespace berth::ipam {

class AllocationDir {
 public:
  // Creates the directory and its parts when missing; refuses a pool.json of another subnet
  // or of a newer version.
  static Result<AllocationDir> open(const std::string& path, const networking::Subnet& subnet);

  [[nodiscard]] const std::string& path() const { return path_; }

  // Claims `address` for `container_id`. Returns the holder's id when the address
  // was already claimed (which may be `container_id` itself), nothing when claimed now.
  Result<std::optional<std::string>> claim(const networking::IpAddress& address, const std::string& container_id);
  // Records `address` as the container's in the index by container (after claim()).
  Status index(const std::string& container_id, const networking::IpAddress& address);
  // The address the container holds, if any.
  Result<std::optional<networking::IpAddress>> address_of(const std::string& container_id) const;
  // Frees the container's address (found through the index, else by a scan); none is fine.
  Status release(const std::string& container_id);
  // Frees `address` if `container_id` holds it, and the container's index entry.
  Status release(const networking::IpAddress& address, const std::string& container_id);
  // Container id -> address, read from addresses/.
  [[nodiscard]] Result<std::map<std::string, networking::IpAddress>> list() const;
  // Index entries whose address is not (or no longer) the container's: removed.
  Status prune_index();

  // The round-robin hint; nothing when missing or unreadable (it is never needed for safety).
  [[nodiscard]] std::optional<networking::IpAddress> last_given() const;
  Status set_last_given(const networking::IpAddress& address) const;

 private:
  AllocationDir(std::string path, const networking::Subnet& subnet, UniqueFd dir, UniqueFd addresses,
                UniqueFd containers)
      : path_(std::move(path)),
        subnet_(subnet),
        dir_(std::move(dir)),
        addresses_(std::move(addresses)),
        containers_(std::move(containers)) {}
  Result<std::optional<std::string>> holder_of(const std::string& address_name) const;

  std::string path_;
  networking::Subnet subnet_;
  UniqueFd dir_;         // path_
  UniqueFd addresses_;   // addresses/
  UniqueFd containers_;  // containers/
};

// The name of the container's entry under containers/: the id, %-escaped where needed.
Result<std::string> container_entry_name(const std::string& container_id);

}  // namespace berth::ipam
