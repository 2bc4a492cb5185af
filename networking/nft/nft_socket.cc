#include "networking/nft/nft_socket.h"

#include <arpa/inet.h>
#include <libnftnl/gen.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <utility>

namespace berth::nft {
namespace {

// Batches of many elements (port ranges) outgrow the default socket buffers: the kernel
// doubles this, and 65535 elements with the longest comments take about 14 MB.
constexpr int kSocketBuffer = 8 << 20;
constexpr int kAckWaitMs = 5000;

struct GenDeleter {
  void operator()(nftnl_gen* g) const { nftnl_gen_free(g); }
};

}  // namespace

void enlarge_socket_buffer(int fd, int force_option, int plain_option, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) != 0) {
    (void)::setsockopt(fd, SOL_SOCKET, plain_option, &bytes, sizeof bytes);
  }
}

Batch::Batch() = default;

template <class Fill>
void Batch::add(uint16_t type, uint16_t flags, std::string what, Fill fill) {
  std::vector<char> scratch(Batch::kMaxMessage);
  // The sequence number is set when the batch is sent.
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(scratch.data(), type, NFPROTO_INET, flags | NLM_F_ACK, 0);
  fill(nlh);
  messages_.emplace_back(scratch.begin(), scratch.begin() + NLMSG_ALIGN(nlh->nlmsg_len));
  what_.push_back(std::move(what));
}

void Batch::add_table(const nftnl_table* table, std::string what) {
  add(NFT_MSG_NEWTABLE, NLM_F_CREATE, std::move(what),
      [&](nlmsghdr* nlh) { nftnl_table_nlmsg_build_payload(nlh, table); });
}

void Batch::delete_table(const nftnl_table* table, std::string what) {
  add(NFT_MSG_DELTABLE, 0, std::move(what), [&](nlmsghdr* nlh) { nftnl_table_nlmsg_build_payload(nlh, table); });
}

void Batch::add_chain(const nftnl_chain* chain, std::string what) {
  add(NFT_MSG_NEWCHAIN, NLM_F_CREATE, std::move(what),
      [&](nlmsghdr* nlh) { nftnl_chain_nlmsg_build_payload(nlh, chain); });
}

void Batch::add_rule(const nftnl_rule* rule, std::string what) {
  // nftnl_rule_nlmsg_build_payload takes a non-const rule but only reads it (and so do the
  // set builders below).
  add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, std::move(what),
      [&](nlmsghdr* nlh) { nftnl_rule_nlmsg_build_payload(nlh, const_cast<nftnl_rule*>(rule)); });
}

void Batch::delete_rule(const nftnl_rule* rule, std::string what) {
  add(NFT_MSG_DELRULE, 0, std::move(what),
      [&](nlmsghdr* nlh) { nftnl_rule_nlmsg_build_payload(nlh, const_cast<nftnl_rule*>(rule)); });
}

void Batch::add_set(const nftnl_set* set, std::string what) {
  add(NFT_MSG_NEWSET, NLM_F_CREATE, std::move(what),
      [&](nlmsghdr* nlh) { nftnl_set_nlmsg_build_payload(nlh, const_cast<nftnl_set*>(set)); });
}

void Batch::add_elements(const nftnl_set* set, std::string what, bool exclusive) {
  const uint16_t flags = exclusive ? NLM_F_CREATE | NLM_F_EXCL : NLM_F_CREATE;
  add(NFT_MSG_NEWSETELEM, flags, std::move(what),
      [&](nlmsghdr* nlh) { nftnl_set_elems_nlmsg_build_payload(nlh, const_cast<nftnl_set*>(set)); });
}

void Batch::delete_elements(const nftnl_set* set, std::string what) {
  add(NFT_MSG_DELSETELEM, 0, std::move(what),
      [&](nlmsghdr* nlh) { nftnl_set_elems_nlmsg_build_payload(nlh, const_cast<nftnl_set*>(set)); });
}

std::vector<char> Batch::finish(uint32_t first_seq, std::optional<uint32_t> generation) const {
  std::vector<char> out;
  std::array<char, 256> edge{};
  auto append = [&](const nlmsghdr* nlh) {
    const auto* p = reinterpret_cast<const char*>(nlh);
    out.insert(out.end(), p, p + NLMSG_ALIGN(nlh->nlmsg_len));
  };
  uint32_t seq = first_seq;
  nlmsghdr* begin = nftnl_batch_begin(edge.data(), seq++);
  if (generation) mnl_attr_put_u32(begin, NFNL_BATCH_GENID, htonl(*generation));
  append(begin);
  for (const auto& m : messages_) {
    const size_t at = out.size();
    out.insert(out.end(), m.begin(), m.end());
    reinterpret_cast<nlmsghdr*>(out.data() + at)->nlmsg_seq = seq++;
  }
  append(nftnl_batch_end(edge.data(), seq));
  return out;
}

NftSocket::NftSocket(std::unique_ptr<mnl_socket, SocketCloser> socket)
    : socket_(std::move(socket)), portid_(mnl_socket_get_portid(socket_.get())) {
  // Distinct from the sequence numbers of an earlier run using the same port id.
  seq_ = static_cast<uint32_t>(::time(nullptr)) << 8;
}

Result<NftSocket> NftSocket::open() {
  std::unique_ptr<mnl_socket, SocketCloser> socket(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!socket) return Error::from_errno("open nf_tables netlink socket");
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return Error::from_errno("bind nf_tables netlink socket");
  const int fd = mnl_socket_get_fd(socket.get());
  enlarge_socket_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, kSocketBuffer);
  enlarge_socket_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, kSocketBuffer);
  const int one = 1;
  // Error answers carry only the header of the failed message, not all of it.
  (void)::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return NftSocket(std::move(socket));
}

Status NftSocket::commit(const Batch& batch) { return send(batch, std::nullopt); }

Status NftSocket::commit_at(const Batch& batch, uint32_t generation) { return send(batch, generation); }

Status NftSocket::send(const Batch& batch, std::optional<uint32_t> generation) {
  if (batch.empty()) return ok();
  const uint32_t first_seq = seq_;
  seq_ += static_cast<uint32_t>(batch.size()) + 2;
  const std::vector<char> buf = batch.finish(first_seq, generation);
  if (mnl_socket_sendto(socket_.get(), buf.data(), buf.size()) < 0) {
    return Error::from_errno("send nf_tables batch (" + batch.what_.front() + ", ...)");
  }
  return receive_acks(batch, first_seq);
}

Status NftSocket::receive_acks(const Batch& batch, uint32_t first_seq) {
  // The kernel answers each message flagged NLM_F_ACK: 0 for done, -errno for the failing
  // one (which aborts the whole batch).
  size_t answers = 0;
  std::optional<Error> failure;
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
  while (answers < batch.size()) {
    pollfd p{mnl_socket_get_fd(socket_.get()), POLLIN, 0};
    const int ready = ::poll(&p, 1, failure ? 0 : kAckWaitMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t n = mnl_socket_recvfrom(socket_.get(), buf.data(), buf.size());
    if (n < 0) return Error::from_errno("receive nf_tables answers");
    auto len = static_cast<int>(n);
    for (const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      ++answers;
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (err->error == 0 || failure) continue;
      const uint32_t index = nlh->nlmsg_seq - first_seq - 1;  // the batch begin took first_seq
      const std::string what = index < batch.size() ? batch.what_[index] : "nf_tables batch";
      failure = Error::from_errno(what, -err->error);
    }
  }
  if (failure) return *failure;
  if (answers < batch.size()) {
    return Error(ETIMEDOUT, "nf_tables batch (" + batch.what_.front() + ", ...): the kernel answered " +
                                std::to_string(answers) + " of " + std::to_string(batch.size()) + " messages");
  }
  return ok();
}

Result<uint32_t> NftSocket::generation() {
  const std::string what = "get nf_tables ruleset generation";
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETGEN, NFPROTO_UNSPEC, 0, seq_++);
  std::unique_ptr<nftnl_gen, GenDeleter> gen(nftnl_gen_alloc());
  auto on_gen = [](const nlmsghdr* msg, void* data) -> int {
    return nftnl_gen_nlmsg_parse(msg, static_cast<nftnl_gen*>(data)) < 0 ? MNL_CB_ERROR : MNL_CB_STOP;
  };
  BERTH_TRY(exchange(nlh, what, on_gen, gen.get()));
  if (!nftnl_gen_is_set(gen.get(), NFTNL_GEN_ID)) return Error(EPROTO, what + ": no generation in the answer");
  return nftnl_gen_get_u32(gen.get(), NFTNL_GEN_ID);
}

Status NftSocket::exchange(const nlmsghdr* nlh, const std::string& what, mnl_cb_t on_message, void* data) {
  const uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(socket_.get(), nlh, nlh->nlmsg_len) < 0) return Error::from_errno(what);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 8);
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(socket_.get(), buf.data(), buf.size());
    if (n < 0) return Error::from_errno(what);
    const int ret = mnl_cb_run(buf.data(), n, seq, portid_, on_message, data);
    if (ret == MNL_CB_STOP) return ok();
    if (ret < 0) return Error::from_errno(what);
  }
}

Result<std::vector<RulePtr>> NftSocket::list_rules(std::string_view table, std::string_view chain) {
  const std::string what = "list rules of chain " + std::string(chain) + " in table inet " + std::string(table);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq_++);
  {
    RulePtr filter(nftnl_rule_alloc());
    nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
    nftnl_rule_set_str(filter.get(), NFTNL_RULE_CHAIN, std::string(chain).c_str());
    nftnl_rule_nlmsg_build_payload(nlh, filter.get());
  }
  std::vector<RulePtr> rules;
  auto on_rule = [](const nlmsghdr* msg, void* data) -> int {
    RulePtr rule(nftnl_rule_alloc());
    if (!rule || nftnl_rule_nlmsg_parse(msg, rule.get()) < 0) return MNL_CB_ERROR;
    static_cast<std::vector<RulePtr>*>(data)->push_back(std::move(rule));
    return MNL_CB_OK;
  };
  Status s = exchange(nlh, what, on_rule, &rules);
  if (!s && s.error().code() == ENOENT) return std::vector<RulePtr>{};  // no such table or chain
  if (!s) return std::move(s).error();
  return rules;
}

Result<SetPtr> NftSocket::list_elements(std::string_view table, std::string_view set) {
  const std::string what = "list elements of map " + std::string(set) + " in table inet " + std::string(table);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, seq_++);
  SetPtr elements(nftnl_set_alloc());
  nftnl_set_set_str(elements.get(), NFTNL_SET_TABLE, std::string(table).c_str());
  nftnl_set_set_str(elements.get(), NFTNL_SET_NAME, std::string(set).c_str());
  nftnl_set_elems_nlmsg_build_payload(nlh, elements.get());
  auto on_elements = [](const nlmsghdr* msg, void* data) -> int {
    return nftnl_set_elems_nlmsg_parse(msg, static_cast<nftnl_set*>(data)) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
  };
  Status s = exchange(nlh, what, on_elements, elements.get());
  if (!s && s.error().code() == ENOENT) return SetPtr(nftnl_set_alloc());  // no such table or set
  if (!s) return std::move(s).error();
  return elements;
}

}  // namespace berth::nft
