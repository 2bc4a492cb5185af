// Shared-IP mode (the port-mapping model of Mesos' network/port_mapping isolator): a
// container has no address of its own. Its namespace gets eth0, one end of a veth pair,
// carrying the host interface's IPv4 addresses, MAC and default route; it owns ranges of the
// host's ports and an ephemeral range of its own (its net.ipv4.ip_local_port_range). u32
// filters on the host interface's ingress redirect TCP/UDP to those ports to the container's
// veth and mirror ARP and ICMP to every container; what the container sends goes straight
// out of the host interface. Never touches a filter, link or sysctl of anyone else. Not
// thread-safe: callers serialize attach and detach for one host interface.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "networking/netlink/links.h"
#include "networking/netlink/rtnl_socket.h"
#include "networking/netns/netns.h"
#include "networking/shared_ip/port_blocks.h"
#include "networking/shared_ip/tc_filters.h"

namespace berth::networking::shared_ip {

struct SharedIpAttachment {
  std::string container_id;
  const Netns* netns = nullptr;  // the container's network namespace
  std::vector<PortRange> ports;  // host ports it serves on: 31000-31099
  PortRange ephemeral;           // the source ports of its own connections
};

// A container as list() finds it installed.
struct SharedIpContainer {
  std::string container_id;
  std::string host_veth;
  std::vector<PortRange> ports;
  std::vector<PortRange> ephemeral;
  friend bool operator==(const SharedIpContainer&, const SharedIpContainer&) = default;
};

class SharedIpNetwork {
 public:
  // Shares the IPv4 address of `host_interface` in `host` (the host's own namespace, or the
  // namespace a test stands in for it).
  static Result<SharedIpNetwork> open(Netns host, std::string host_interface);

  // All or nothing. Refused when the container is attached already, or when its ranges
  // overlap each other, the host's ephemeral range or another container's ranges.
  Status attach(const SharedIpAttachment& a);
  // Removes the container's filters and veth, and the host's ingress qdisc when nothing is
  // left on it. Idempotent.
  Status detach(const std::string& container_id);
  // The containers attached, from the kernel alone (links and filters): what survives a
  // restart of berthd, sorted by id.
  Result<std::vector<SharedIpContainer>> list();

  // "berths" + 8 hex digits of a hash of the id.
  static std::string host_veth_name(const std::string& container_id);

 private:
  SharedIpNetwork(Netns host, std::string host_interface, RtnlSocket nl, TcSocket tc)
      : host_(std::move(host)), host_if_(std::move(host_interface)), nl_(std::move(nl)), tc_(std::move(tc)) {}
  Status check_ranges(const SharedIpAttachment& a);
  Status plumb(const SharedIpAttachment& a, const std::string& veth);
  Status configure_container(const SharedIpAttachment& a, const Link& host_link);
  Status install_filters(const SharedIpAttachment& a, const TcLink& host, const TcLink& veth);
  Status remove_filters(const TcLink& host, int veth_index);
  [[nodiscard]] std::string describe() const { return "shared IP of " + host_if_ + host_.where(); }

  Netns host_;
  std::string host_if_;
  RtnlSocket nl_;
  TcSocket tc_;
};

}  // namespace berth::networking::shared_ip
