#include "networking/nft/nat_table.h"

#include <linux/netfilter.h>

#include <set>
#include <utility>

#include "common/file.h"
#include "networking/ipam/file_lock.h"
#include "networking/nft/host_port_probe.h"

namespace berth::nft {
namespace {

// The priorities `nft` calls dstnat and srcnat (NF_IP_PRI_NAT_DST, NF_IP_PRI_NAT_SRC).
constexpr int kDstNatPriority = -100;
constexpr int kSrcNatPriority = 100;
// How often a change is rebuilt when another process changes the ruleset between our read and
// our commit; more than that under a steady stream of foreign changes is reported.
constexpr int kCommitAttempts = 5;

// The generation after one committed batch (the kernel skips 0).
uint32_t next_generation(uint32_t generation) { return generation + 1 == 0 ? 1 : generation + 1; }

TablePtr table_object(const std::string& name) {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
  return t;
}

// A base chain of type nat on `hook`, or a regular chain when hook is negative.
ChainPtr chain_object(const std::string& table, std::string_view name, int hook, int priority) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, std::string(name).c_str());
  if (hook >= 0) {
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "nat");
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, static_cast<uint32_t>(hook));
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, priority);
  }
  return c;
}

// A rule naming just a chain: deleting it flushes the chain.
RulePtr whole_chain(const std::string& table, std::string_view chain) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, std::string(chain).c_str());
  return r;
}

std::string for_container(const std::string& id, const PortMapping& m) {
  return m.to_string() + " for container \"" + id + "\"";
}

Status validate_container_id(const std::string& id) {
  if (id.empty()) return Error(EINVAL, "publish ports: empty container id");
  if (id.size() > kMaxTaggedIdLength) {
    return Error(EINVAL, "publish ports for container \"" + id + "\": the id is longer than " +
                             std::to_string(kMaxTaggedIdLength) + " characters");
  }
  if (id.find('\0') != std::string::npos) return Error(EINVAL, "publish ports: container id holds a NUL");
  return ok();
}

// The rules of the ports chain, each with what could be read back from it.
struct ListedRule {
  RulePtr rule;
  uint64_t handle = 0;
  std::optional<std::string> container_id;
  std::optional<PortMapping> mapping;
};

Result<std::vector<ListedRule>> list_ports_chain(NftSocket& socket, const std::string& table) {
  BERTH_ASSIGN(std::vector<RulePtr> rules, socket.list_rules(table, kPortsChain));
  std::vector<ListedRule> out;
  for (RulePtr& r : rules) {
    ListedRule l;
    l.handle = nftnl_rule_get_u64(r.get(), NFTNL_RULE_HANDLE);
    l.container_id = tagged_container(r.get());
    l.mapping = mapping_of(r.get());
    l.rule = std::move(r);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

Result<NatTable> NatTable::open(std::string name, std::string lock_path) {
  if (name.empty()) return Error(EINVAL, "nftables table name is empty");
  BERTH_ASSIGN(NftSocket socket, NftSocket::open());
  return NatTable(std::move(name), std::move(lock_path), std::move(socket));
}

Result<UniqueFd> NatTable::lock() const {
  if (lock_path_.empty()) return UniqueFd();
  return ipam::lock_exclusive(lock_path_).context("table inet " + name_);
}

RulePtr NatTable::rule_handle(uint64_t handle) const {
  RulePtr r = whole_chain(name_, kPortsChain);
  nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, handle);
  return r;
}

Status NatTable::ensure(const std::vector<networking::Subnet>& subnets) {
  BERTH_ASSIGN(UniqueFd held, lock());
  const std::string where = " in table inet " + name_;
  TablePtr table = table_object(name_);
  std::vector<ChainPtr> chains;
  chains.push_back(chain_object(name_, kPortsChain, -1, 0));
  chains.push_back(chain_object(name_, kPreroutingChain, NF_INET_PRE_ROUTING, kDstNatPriority));
  chains.push_back(chain_object(name_, kOutputChain, NF_INET_LOCAL_OUT, kDstNatPriority));
  chains.push_back(chain_object(name_, kPostroutingChain, NF_INET_POST_ROUTING, kSrcNatPriority));
  std::vector<RulePtr> flushes;
  std::vector<RulePtr> rules;
  for (std::string_view chain : {kPreroutingChain, kOutputChain, kPostroutingChain}) {
    flushes.push_back(whole_chain(name_, chain));
  }
  rules.push_back(jump_to_ports_rule(name_, kPreroutingChain));
  rules.push_back(jump_to_ports_rule(name_, kOutputChain));
  for (RulePtr& r : masquerade_rules(name_, subnets)) rules.push_back(std::move(r));

  Batch batch;
  batch.add_table(table.get(), "create table inet " + name_);
  for (const ChainPtr& c : chains) {
    batch.add_chain(c.get(), "create chain " + std::string(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME)) + where);
  }
  for (const RulePtr& r : flushes) {
    batch.delete_rule(r.get(), "flush chain " + std::string(nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)) + where);
  }
  for (const RulePtr& r : rules) {
    batch.add_rule(r.get(), "add rule to chain " + std::string(nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)) + where);
  }
  index_generation_.reset();
  return socket_.commit(batch);
}

Result<uint32_t> NatTable::fresh_index() {
  BERTH_ASSIGN(uint32_t generation, socket_.generation());
  if (index_generation_ == generation) return generation;
  // Read after taking the generation: a change in between makes the commit at `generation`
  // fail and the index be read again.
  BERTH_ASSIGN(std::vector<ListedRule> listed, list_ports_chain(socket_, name_));
  index_.clear();
  index_generation_.reset();
  for (ListedRule& l : listed) {
    // Untagged rules with a readable mapping still hold their port; "" never matches an id.
    if (l.mapping) index_.add({l.container_id.value_or(""), *l.mapping, l.handle});
  }
  index_generation_ = generation;
  return generation;
}

template <class Build>
Result<std::vector<uint64_t>> NatTable::commit_indexed(Build build) {
  for (int attempt = 1;; ++attempt) {
    BERTH_ASSIGN(uint32_t generation, fresh_index());
    std::vector<RulePtr> objects;
    Batch batch;
    BERTH_TRY(build(objects, batch));
    if (batch.empty()) return std::vector<uint64_t>{};
    auto handles = socket_.commit_at(batch, generation);
    index_generation_.reset();
    if (!handles && handles.error().code() == ERESTART && attempt < kCommitAttempts) continue;
    if (!handles) return std::move(handles).error();
    index_generation_ = next_generation(generation);
    return handles;
  }
}

Status NatTable::check_publishable(const std::string& container_id, const std::vector<PortMapping>& singles) const {
  for (size_t i = 0; i < singles.size(); ++i) {
    const PortMapping& m = singles[i];
    const std::string what = "publish " + for_container(container_id, m);
    for (size_t j = 0; j < i; ++j) {
      if (same_host_port(m, singles[j])) {
        return Error(EADDRINUSE, what + ": host port " + std::string(protocol_name(m.protocol)) + "/" +
                                     std::to_string(m.host_port) + " is asked for twice");
      }
    }
    if (const PublishedPort* held = index_.conflict(m)) {
      std::string message = what + ": host port " + std::string(protocol_name(m.protocol)) + "/" +
                            std::to_string(m.host_port) + " is already published for container \"";
      message += held->container_id.empty() ? "?" : held->container_id;
      message += "\" (" + held->mapping.to_string() + ")";
      return Error(EADDRINUSE, std::move(message));
    }
    BERTH_TRY(check_host_port_free(m).context(what));
  }
  return ok();
}

Status NatTable::publish(const std::string& container_id, const std::vector<PortMapping>& mappings) {
  BERTH_TRY(validate_container_id(container_id));
  std::vector<PortMapping> singles;
  for (const PortMapping& m : mappings) {
    BERTH_TRY(validate(m).context("container \"" + container_id + "\""));
    for (const PortMapping& one : expand(m)) singles.push_back(one);
  }
  if (singles.empty()) return ok();
  BERTH_ASSIGN(UniqueFd held, lock());
  auto build = [&](std::vector<RulePtr>& rules, Batch& batch) -> Status {
    BERTH_TRY(check_publishable(container_id, singles));
    for (const PortMapping& m : singles) {
      rules.push_back(dnat_rule(name_, container_id, m));
      batch.add_rule(rules.back().get(), "publish " + for_container(container_id, m) + " in table inet " + name_);
    }
    return ok();
  };
  BERTH_ASSIGN(std::vector<uint64_t> handles, commit_indexed(build));
  if (handles.size() != singles.size()) {
    index_generation_.reset();  // the kernel did not echo every rule: read the chain next time
    return ok();
  }
  for (size_t i = 0; i < singles.size(); ++i) index_.add({container_id, singles[i], handles[i]});
  return ok();
}

Status NatTable::unpublish(const std::string& container_id) {
  BERTH_ASSIGN(UniqueFd held, lock());
  std::vector<uint64_t> removed;
  auto build = [&](std::vector<RulePtr>& deletes, Batch& batch) -> Status {
    removed = index_.handles_of(container_id);
    for (uint64_t handle : removed) {
      deletes.push_back(rule_handle(handle));
      batch.delete_rule(deletes.back().get(), "unpublish rule " + std::to_string(handle) + " of container \"" +
                                                  container_id + "\" in table inet " + name_);
    }
    return ok();
  };
  BERTH_ASSIGN(std::vector<uint64_t> ignored, commit_indexed(build));
  for (uint64_t handle : removed) index_.remove(handle);
  return ok();
}

Result<std::vector<PublishedPort>> NatTable::published() {
  BERTH_ASSIGN(std::vector<ListedRule> listed, list_ports_chain(socket_, name_));
  std::vector<PublishedPort> out;
  for (const ListedRule& l : listed) {
    if (l.container_id && l.mapping) out.push_back({*l.container_id, *l.mapping, l.handle});
  }
  return out;
}

Result<ReconcileReport> NatTable::reconcile(const std::map<std::string, std::vector<PortMapping>>& desired) {
  // What should be there, as (container, single mapping) pairs; kept ones are crossed off.
  std::vector<std::pair<std::string, PortMapping>> wanted;
  for (const auto& [id, mappings] : desired) {
    BERTH_TRY(validate_container_id(id));
    for (const PortMapping& m : mappings) {
      BERTH_TRY(validate(m).context("container \"" + id + "\""));
      for (const PortMapping& one : expand(m)) wanted.emplace_back(id, one);
    }
  }
  BERTH_ASSIGN(UniqueFd held, lock());
  BERTH_ASSIGN(std::vector<ListedRule> listed, list_ports_chain(socket_, name_));
  std::vector<bool> present(wanted.size(), false);
  ReconcileReport report;
  std::vector<RulePtr> objects;
  Batch batch;
  for (const ListedRule& l : listed) {
    bool keep = false;
    for (size_t i = 0; i < wanted.size() && !keep; ++i) {
      if (!present[i] && l.container_id == wanted[i].first && l.mapping == wanted[i].second) {
        present[i] = true;
        keep = true;
      }
    }
    if (keep) continue;
    std::string what = l.container_id && l.mapping ? *l.container_id + ": " + l.mapping->to_string()
                                                   : "rule " + std::to_string(l.handle) + ": " + describe(l.rule.get());
    objects.push_back(rule_handle(l.handle));
    batch.delete_rule(objects.back().get(), "reconcile: delete " + what + " in table inet " + name_);
    report.removed.push_back(std::move(what));
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (present[i]) continue;
    const auto& [id, m] = wanted[i];
    objects.push_back(dnat_rule(name_, id, m));
    batch.add_rule(objects.back().get(), "reconcile: publish " + for_container(id, m) + " in table inet " + name_);
    report.added.push_back(id + ": " + m.to_string());
  }
  index_generation_.reset();
  BERTH_TRY(socket_.commit(batch));
  return report;
}

Status NatTable::remove_table() {
  BERTH_ASSIGN(UniqueFd held, lock());
  TablePtr table = table_object(name_);
  Batch batch;
  batch.delete_table(table.get(), "delete table inet " + name_);
  index_generation_.reset();
  Status s = socket_.commit(batch);
  if (!s && s.error().code() == ENOENT) return ok();
  return s;
}

Result<bool> enable_route_localnet(const std::string& interface, const std::string& proc_root) {
  if (interface.empty() || interface.find('/') != std::string::npos || interface == "." || interface == "..") {
    return Error(EINVAL, "route_localnet: bad interface name \"" + interface + "\"");
  }
  const std::string path = proc_root + "/sys/net/ipv4/conf/" + interface + "/route_localnet";
  BERTH_ASSIGN(std::string before, read_file(path));
  const bool was_on = !before.empty() && before[0] == '1';
  if (!was_on) BERTH_TRY(write_existing(path, "1"));
  return was_on;
}

}  // namespace berth::nft
