// Port mapping through one nftables table of family inet (named "berth" in production; tests
// pass their own name): published host ports DNATed to container addresses, container egress
// and hairpin traffic masqueraded. Every change is one netlink batch, applied all or nothing.
// A published port is an element of one of four maps (port_maps.h) that fixed rules look the
// packet up in; each element carries the comment berth:<container id>, which is how a
// container's ports are found again for removal and for reconciliation after a restart.
//
// publish() and unpublish() cost the same however many ports are published: they add or
// delete map elements and never change a rule (a rule change makes the kernel validate every
// rule of the table); the table keeps an index of its maps tied to a ruleset generation, and
// commits each change only at that generation (the kernel refuses the batch if it moved
// meanwhile). The generation moves with any change to any table of the network namespace, so
// the index follows the nf_tables notifications (ruleset_watch.h): it is re-read only when
// someone else changed this table (or a notification was lost), and a change to another table
// (a second berth network, kube-proxy, firewalld) only moves the generation it is tied to.
//
// The host's own traffic to 127.0.0.1:<published port> is DNATed in the output chain and then
// masqueraded, but the kernel refuses to route a packet with a 127.0.0.0/8 source out of a
// non-loopback interface unless net.ipv4.conf.<that interface>.route_localnet is 1: whoever
// owns the container-facing interface (the bridge berth0 in bridge mode) must set it there
// (enable_route_localnet() below). IPv6 has no such path: [::1] is never forwarded, so
// published ports are not reachable through [::1].
//
// Never shells out to nft; never touches a table other than its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/result.h"
#include "networking/addr/ip_address.h"
#include "networking/nft/nft_socket.h"
#include "networking/nft/port_index.h"
#include "networking/nft/port_mapping.h"
#include "networking/nft/ruleset_watch.h"

namespace berth::nft {

struct ReconcileReport {
  std::vector<std::string> removed;  // what was deleted: "<container>: <mapping>" or an element's text
  std::vector<std::string> added;    // "<container>: <mapping>"
};

class NatTable {
 public:
  // Opens the nf_tables netlink socket; changes nothing. Needs CAP_NET_ADMIN to change rules.
  // With a lock_path (/run/berth/nft-berth.lock), every change holds an flock on it, so that
  // processes sharing the table never publish one host port twice between check and commit.
  static Result<NatTable> open(std::string name = "berth", std::string lock_path = {});

  [[nodiscard]] const std::string& name() const { return name_; }

  // Creates the table, its chains and maps when missing and (re)writes their fixed rules: the
  // jumps to the ports chain, the map lookups in it and the masquerade rules for `subnets`.
  // Published ports stay, including those a berth from before the maps published as rules
  // (they become elements in the same batch).
  Status ensure(const std::vector<networking::Subnet>& subnets);

  // Publishes the container's mappings (ranges become one element per port), all or none.
  // Refused, naming the port, when a host port is already published (for this or another
  // container) or a host process has a socket bound to it.
  Status publish(const std::string& container_id, const std::vector<PortMapping>& mappings);
  // Deletes every element of the container; none left (or no table) is not an error.
  Status unpublish(const std::string& container_id);
  // The ports published now, map by map (ports4addr, ports4, ports6addr, ports6).
  Result<std::vector<PublishedPort>> published();
  // Makes the maps hold exactly `desired` (container id -> its mappings): deletes the elements
  // of other containers, untagged or foreign elements and ones with other data; adds what is
  // missing.
  // Does not probe for host listeners: these ports were berth's before.
  Result<ReconcileReport> reconcile(const std::map<std::string, std::vector<PortMapping>>& desired);

  // Deletes the whole table; a missing table is not an error.
  Status remove_table();

  // How often publish()/unpublish() have read the maps back into the index (for tests: it must
  // not grow with changes to other tables).
  [[nodiscard]] uint64_t index_reloads() const { return index_reloads_; }

 private:
  NatTable(std::string name, std::string lock_path, NftSocket socket, RulesetWatch watch)
      : name_(std::move(name)),
        lock_path_(std::move(lock_path)),
        socket_(std::move(socket)),
        watch_(std::move(watch)) {}
  // The flock on lock_path_ (an empty fd when there is none).
  Result<UniqueFd> lock() const;
  Status check_publishable(const std::string& container_id, const std::vector<PortMapping>& singles) const;
  // The ruleset generation index_ matches: the newest one announced when the notifications
  // show no one else changed the table since it was read, else the maps are read again.
  Result<uint32_t> fresh_index();
  // Reads the maps into index_, at the current generation.
  Result<uint32_t> reload_index();
  // Commits `batch` at `generation` (see fresh_index()); a batch refused because someone else
  // changed the ruleset meanwhile is retried with `build` called again on a fresh index.
  template <class Build>
  Status commit_indexed(Build build);

  std::string name_;
  std::string lock_path_;
  NftSocket socket_;
  RulesetWatch watch_;
  PortIndex index_;
  std::optional<uint32_t> index_generation_;  // none: index_ must be read again
  // A commit at this generation was refused: the notifications must show a newer one (they
  // are queued before the kernel answers), else the index is read again.
  std::optional<uint32_t> refused_generation_;
  uint64_t index_reloads_ = 0;
};

// Sets net.ipv4.conf.<interface>.route_localnet to 1 (see above): for the interface that
// leads to the containers. Returns the value it had, to restore where that matters.
Result<bool> enable_route_localnet(const std::string& interface, const std::string& proc_root = "/proc");

}  // namespace berth::nft
