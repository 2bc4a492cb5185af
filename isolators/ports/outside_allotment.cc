#include "isolators/ports/outside_allotment.h"

#include <algorithm>
#include <tuple>

#include "common/strings.h"
#include "networking/addr/port_range.h"

namespace berth::isolators::ports {

std::vector<Listener> outside_allotment(const std::vector<Listener>& listeners,
                                        const std::vector<PortRange>& allotted) {
  std::vector<Listener> outside;
  for (const auto& l : listeners) {
    if (!ranges_contain(allotted, l.port)) outside.push_back(l);
  }
  auto key = [](const Listener& l) { return std::tuple(l.port, l.transport); };
  std::sort(outside.begin(), outside.end(), [&](const Listener& a, const Listener& b) { return key(a) < key(b); });
  outside.erase(std::unique(outside.begin(), outside.end(),
                            [&](const Listener& a, const Listener& b) { return key(a) == key(b); }),
                outside.end());
  return outside;
}

std::string describe_outside_allotment(std::string_view container_id, const std::vector<Listener>& outside,
                                       const std::vector<PortRange>& allotted) {
  std::vector<std::string> ports;
  ports.reserve(outside.size());
  for (const auto& l : outside)
    ports.push_back(std::to_string(l.port) + "/" + std::string(transport_name(l.transport)));
  return "container \"" + std::string(container_id) + "\" listens on " + join(ports, ", ") +
         " outside its allotted ports " + format_port_ranges(allotted);
}

std::vector<uint16_t> listening_ports(const std::vector<Listener>& listeners) {
  std::vector<uint16_t> ports;
  ports.reserve(listeners.size());
  for (const auto& l : listeners) ports.push_back(l.port);
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

}  // namespace berth::isolators::ports
