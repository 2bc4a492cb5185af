// Listens to the nf_tables notifications of the network namespace (multicast group
// NFNLGRP_NFTABLES) to tell NatTable whether anyone else changed its table since it last asked,
// and which ruleset generation the last committed batch made: the ruleset generation alone moves
// with every change to any table, so it cannot tell a foreign change to our table from kube-proxy
// or a second berth network changing theirs. Never sends a request and never changes anything.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/fd.h"
#include "common/result.h"

namespace berth::nft {

// The table watched (family inet) and the port id of the socket whose changes are our own.
struct WatchedTable {
  std::string name;
  uint32_t own_portid = 0;
};

// What a run of notifications says.
struct RulesetNews {
  // Someone else changed the table, or may have: a notification was lost (the receive buffer
  // overflowed) or could not be read.
  bool table_changed = false;
  // The generation announced last (NFT_MSG_NEWGEN, sent after the notifications of each
  // committed batch); none when no batch was committed.
  std::optional<uint32_t> generation;
};

// Folds the netlink messages of one received datagram into `news`. Pure: no kernel calls.
void read_notifications(std::span<const uint8_t> datagram, const WatchedTable& table, RulesetNews& news);

class RulesetWatch {
 public:
  // Subscribes a non-blocking netlink socket to the notifications; needs CAP_NET_ADMIN.
  static Result<RulesetWatch> open(WatchedTable table);

  // Drains the notifications the kernel queued since the last call (or since open()).
  Result<RulesetNews> news();

 private:
  RulesetWatch(UniqueFd fd, WatchedTable table) : fd_(std::move(fd)), table_(std::move(table)) {}

  UniqueFd fd_;
  WatchedTable table_;
  std::vector<uint8_t> buffer_;
};

}  // namespace berth::nft
