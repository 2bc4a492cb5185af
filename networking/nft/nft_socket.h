// The nf_tables netlink conversation, through libmnl: batches of messages the kernel applies
// all or nothing (one batch per change, so a failed change leaves the ruleset as it was), and
// rule and set element dumps. Knows nothing of berth's table layout; nat_table.cc decides what to send.
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "networking/nft/port_maps.h"
#include "networking/nft/rule_builder.h"

namespace berth::nft {

struct ChainDeleter {
  void operator()(nftnl_chain* c) const { nftnl_chain_free(c); }
};
using ChainPtr = std::unique_ptr<nftnl_chain, ChainDeleter>;
struct TableDeleter {
  void operator()(nftnl_table* t) const { nftnl_table_free(t); }
};
using TablePtr = std::unique_ptr<nftnl_table, TableDeleter>;

// Messages for one transaction, each with a line saying what it does (for errors).
class Batch {
 public:
  // The room for one message. Every message berth sends is smaller: a rule with a comment is
  // under 1 KiB, a message of set elements holds at most kElementsPerMessage of them.
  static constexpr size_t kMaxMessage = 16384;

  Batch();

  void add_table(const nftnl_table* table, std::string what);
  void delete_table(const nftnl_table* table, std::string what);
  void add_chain(const nftnl_chain* chain, std::string what);
  void add_rule(const nftnl_rule* rule, std::string what);
  // A rule with a handle deletes that rule; one with only table and chain flushes the chain.
  void delete_rule(const nftnl_rule* rule, std::string what);
  // Creates the set unless it exists with the same definition.
  void add_set(const nftnl_set* set, std::string what);
  // Adds the set's elements. exclusive: an element whose key is there already fails the
  // batch (EEXIST); otherwise one with the same data is left as it is.
  void add_elements(const nftnl_set* set, std::string what, bool exclusive);
  // Deletes the elements with the set's elements' keys; a missing one fails the batch.
  void delete_elements(const nftnl_set* set, std::string what);

  // The messages between batch begin and end.
  [[nodiscard]] size_t size() const { return what_.size(); }
  [[nodiscard]] bool empty() const { return what_.empty(); }

 private:
  friend class NftSocket;
  template <class Fill>
  void add(uint16_t type, uint16_t flags, std::string what, Fill fill);
  // The whole batch, begin and end messages included; sequence numbers start at `first_seq`.
  // With a generation, the kernel refuses the batch (ERESTART) when the ruleset has changed
  // since that generation.
  std::vector<char> finish(uint32_t first_seq, std::optional<uint32_t> generation) const;

  std::vector<std::vector<char>> messages_;
  std::vector<std::string> what_;
};

// Sets a socket buffer (SO_SNDBUF or SO_RCVBUF) to `bytes`: through the FORCE option, which
// needs CAP_NET_ADMIN (as programming nf_tables does), else through the plain one (capped by
// net.core.[rw]mem_max). Best effort: a smaller buffer still works, only less well.
void enlarge_socket_buffer(int fd, int force_option, int plain_option, int bytes);

class NftSocket {
 public:
  static Result<NftSocket> open();

  // The netlink port id the kernel gave this socket: nf_tables notifications of the batches it
  // commits carry it.
  [[nodiscard]] uint32_t portid() const { return portid_; }

  // Sends the batch and waits for the kernel's answer to each message; the first error names
  // the message that failed. An empty batch sends nothing.
  Status commit(const Batch& batch);
  // commit() applied only while the ruleset is still at `generation` (else ERESTART, nothing
  // changed).
  Status commit_at(const Batch& batch, uint32_t generation);
  // The ruleset generation: it changes with every committed batch, anyone's, in this netns.
  Result<uint32_t> generation();
  // The rules of one chain (family inet); an empty list when the table or chain is missing.
  Result<std::vector<RulePtr>> list_rules(std::string_view table, std::string_view chain);
  // The elements of one set (family inet), in the returned set; none when the table or the
  // set is missing.
  Result<SetPtr> list_elements(std::string_view table, std::string_view set);

 private:
  struct SocketCloser {
    void operator()(mnl_socket* s) const { mnl_socket_close(s); }
  };
  explicit NftSocket(std::unique_ptr<mnl_socket, SocketCloser> socket);
  Status send(const Batch& batch, std::optional<uint32_t> generation);
  Status receive_acks(const Batch& batch, uint32_t first_seq);
  // Sends the request `nlh` and passes each answer to `on_message` until one ends the
  // exchange (the end of a dump, or a callback returning MNL_CB_STOP). Errors say `what`; a
  // missing table, chain or set is ENOENT.
  Status exchange(const nlmsghdr* nlh, const std::string& what, mnl_cb_t on_message, void* data);

  std::unique_ptr<mnl_socket, SocketCloser> socket_;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
};

}  // namespace berth::nft
