#include "networking/nft/nat_table.h"

#include <linux/netfilter.h>

#include <algorithm>
#include <functional>
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
// Whether generation `a` came after `b`, across the wrap of the 32-bit counter: a notification
// read late may announce a generation older than the one the index was read at.
bool is_newer(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

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

// Every element of the four maps, in kPortMaps order.
Result<std::vector<PortElement>> list_port_maps(NftSocket& socket, const std::string& table) {
  std::vector<PortElement> out;
  for (PortMap map : kPortMaps) {
    BERTH_ASSIGN(SetPtr set, socket.list_elements(table, map_name(map)));
    for (PortElement& e : elements_of(map, set.get())) out.push_back(std::move(e));
  }
  return out;
}

enum class ElementChange : uint8_t { kAdd, kAddNew, kDelete };

// Adds (kAddNew: refusing a key that is there already) or deletes `elements` of any maps,
// one message per map and kElementsPerMessage elements; `what(i)` says what element i is
// for (a failed message is reported by its first element).
void change_elements(Batch& batch, const std::string& table, const std::vector<PortElement>& elements,
                     ElementChange change, const std::function<std::string(size_t)>& what) {
  for (PortMap map : kPortMaps) {
    std::vector<size_t> picked;
    std::vector<PortElement> of_map;
    for (size_t i = 0; i < elements.size(); ++i) {
      if (elements[i].map != map) continue;
      picked.push_back(i);
      of_map.push_back(elements[i]);
    }
    const std::vector<SetPtr> messages = element_messages(table, map, of_map, change == ElementChange::kDelete);
    for (size_t m = 0; m < messages.size(); ++m) {
      const size_t first = m * kElementsPerMessage;
      const size_t count = std::min(kElementsPerMessage, of_map.size() - first);
      std::string text = what(picked[first]);
      if (count > 1) text += " and " + std::to_string(count - 1) + " more";
      text += " in table inet " + table + " (map " + std::string(map_name(map)) + ")";
      if (change == ElementChange::kDelete) {
        batch.delete_elements(messages[m].get(), std::move(text));
      } else {
        batch.add_elements(messages[m].get(), std::move(text), change == ElementChange::kAddNew);
      }
    }
  }
}

// The ports a berth from before the maps published as tagged DNAT rules in the ports chain,
// as elements; of two rules for one element the first, which matched first, wins.
std::vector<PortElement> elements_of_legacy_rules(const std::vector<RulePtr>& rules) {
  std::vector<PortElement> out;
  std::set<std::pair<PortMap, std::vector<uint8_t>>> taken;
  for (const RulePtr& r : rules) {
    const std::optional<std::string> id = tagged_container(r.get());
    const std::optional<PortMapping> mapping = mapping_of(r.get());
    if (!id || !mapping) continue;
    PortElement e = port_element(*id, *mapping);
    if (taken.emplace(e.map, e.key).second) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<NatTable> NatTable::open(std::string name, std::string lock_path) {
  if (name.empty()) return Error(EINVAL, "nftables table name is empty");
  BERTH_ASSIGN(NftSocket socket, NftSocket::open());
  BERTH_ASSIGN(RulesetWatch watch, RulesetWatch::open({name, socket.portid()}));
  return NatTable(std::move(name), std::move(lock_path), std::move(socket), std::move(watch));
}

Result<UniqueFd> NatTable::lock() const {
  if (lock_path_.empty()) return UniqueFd();
  return ipam::lock_exclusive(lock_path_).context("table inet " + name_);
}

Status NatTable::ensure(const std::vector<networking::Subnet>& subnets) {
  BERTH_ASSIGN(UniqueFd held, lock());
  const std::string where = " in table inet " + name_;
  // A table from a berth before the maps has its ports as DNAT rules in the ports chain: the
  // same batch that flushes the chain makes them elements, so published ports stay.
  BERTH_ASSIGN(std::vector<RulePtr> old_rules, socket_.list_rules(name_, kPortsChain));
  const std::vector<PortElement> migrated = elements_of_legacy_rules(old_rules);
  std::vector<PortMapping> migrated_mappings;
  migrated_mappings.reserve(migrated.size());
  for (const PortElement& e : migrated) migrated_mappings.push_back(*mapping_of(e));

  Batch batch;
  batch.add_table(table_object(name_).get(), "create table inet " + name_);
  for (const ChainPtr& c : {chain_object(name_, kPortsChain, -1, 0),
                            chain_object(name_, kPreroutingChain, NF_INET_PRE_ROUTING, kDstNatPriority),
                            chain_object(name_, kOutputChain, NF_INET_LOCAL_OUT, kDstNatPriority),
                            chain_object(name_, kPostroutingChain, NF_INET_POST_ROUTING, kSrcNatPriority)}) {
    batch.add_chain(c.get(), "create chain " + std::string(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME)) + where);
  }
  for (PortMap map : kPortMaps) {
    batch.add_set(map_object(name_, map).get(), "create map " + std::string(map_name(map)) + where);
  }
  change_elements(batch, name_, migrated, ElementChange::kAdd, [&](size_t i) {
    return "migrate rule " + for_container(*migrated[i].container_id, migrated_mappings[i]);
  });
  for (std::string_view chain : {kPortsChain, kPreroutingChain, kOutputChain, kPostroutingChain}) {
    batch.delete_rule(whole_chain(name_, chain).get(), "flush chain " + std::string(chain) + where);
  }
  std::vector<RulePtr> rules;
  rules.push_back(jump_to_ports_rule(name_, kPreroutingChain));
  rules.push_back(jump_to_ports_rule(name_, kOutputChain));
  for (RulePtr& r : masquerade_rules(name_, subnets)) rules.push_back(std::move(r));
  for (PortMap map : kPortMaps) rules.push_back(map_lookup_rule(name_, map));
  for (const RulePtr& r : rules) {
    batch.add_rule(r.get(), "add rule to chain " + std::string(nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN)) + where);
  }
  index_generation_.reset();
  return socket_.commit(batch);
}

Result<uint32_t> NatTable::fresh_index() {
  // Drained on every call, so that what is left queued is newer than the index.
  BERTH_ASSIGN(RulesetNews news, watch_.news());
  if (index_generation_ && !news.table_changed) {
    if (news.generation && is_newer(*news.generation, *index_generation_)) index_generation_ = news.generation;
    const bool refused_again = index_generation_ == refused_generation_;
    refused_generation_.reset();
    if (!refused_again) return *index_generation_;
  }
  refused_generation_.reset();
  return reload_index();
}

Result<uint32_t> NatTable::reload_index() {
  index_generation_.reset();
  ++index_reloads_;
  BERTH_ASSIGN(uint32_t generation, socket_.generation());
  // Read after taking the generation: a change in between makes the commit at `generation`
  // fail, or its notifications make the index be read again.
  BERTH_ASSIGN(std::vector<PortElement> listed, list_port_maps(socket_, name_));
  index_.clear();
  for (PortElement& e : listed) {
    // Untagged elements with a readable mapping still hold their port; "" never matches an id.
    if (auto mapping = mapping_of(e)) index_.add({e.container_id.value_or(""), *mapping});
  }
  index_generation_ = generation;
  return generation;
}

template <class Build>
Status NatTable::commit_indexed(Build build) {
  for (int attempt = 1;; ++attempt) {
    BERTH_ASSIGN(uint32_t generation, fresh_index());
    Batch batch;
    BERTH_TRY(build(batch));
    if (batch.empty()) return ok();
    Status committed = socket_.commit_at(batch, generation);
    if (committed) {
      index_generation_ = next_generation(generation);
      return ok();
    }
    if (committed.error().code() == ERESTART && attempt < kCommitAttempts) {
      // Someone committed since `generation`: the notifications say whether it was to this table.
      refused_generation_ = generation;
      continue;
    }
    index_generation_.reset();
    return committed;
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
  auto build = [&](Batch& batch) -> Status {
    BERTH_TRY(check_publishable(container_id, singles));
    std::vector<PortElement> elements;
    elements.reserve(singles.size());
    for (const PortMapping& m : singles) elements.push_back(port_element(container_id, m));
    change_elements(batch, name_, elements, ElementChange::kAddNew,
                    [&](size_t i) { return "publish " + for_container(container_id, singles[i]); });
    return ok();
  };
  BERTH_TRY(commit_indexed(build));
  for (const PortMapping& m : singles) index_.add({container_id, m});
  return ok();
}

Status NatTable::unpublish(const std::string& container_id) {
  BERTH_ASSIGN(UniqueFd held, lock());
  std::vector<PortMapping> removed;
  auto build = [&](Batch& batch) -> Status {
    removed = index_.mappings_of(container_id);
    std::vector<PortElement> elements;
    elements.reserve(removed.size());
    for (const PortMapping& m : removed) elements.push_back(port_element(container_id, m));
    change_elements(batch, name_, elements, ElementChange::kDelete,
                    [&](size_t i) { return "unpublish " + for_container(container_id, removed[i]); });
    return ok();
  };
  BERTH_TRY(commit_indexed(build));
  for (const PortMapping& m : removed) index_.remove(m);
  return ok();
}

Result<std::vector<PublishedPort>> NatTable::published() {
  BERTH_ASSIGN(std::vector<PortElement> listed, list_port_maps(socket_, name_));
  std::vector<PublishedPort> out;
  for (const PortElement& e : listed) {
    auto mapping = mapping_of(e);
    if (e.container_id && mapping) out.push_back({*e.container_id, *mapping});
  }
  return out;
}

Result<ReconcileReport> NatTable::reconcile(const std::map<std::string, std::vector<PortMapping>>& desired) {
  // What should be there, element by element (of two wanting one key, the first); the
  // elements found to be there already are crossed off.
  struct Wanted {
    std::string id;
    PortMapping mapping;
    PortElement element;
    bool present = false;
  };
  std::vector<Wanted> wanted;
  std::map<std::pair<PortMap, std::vector<uint8_t>>, size_t> wanted_at;
  for (const auto& [id, mappings] : desired) {
    BERTH_TRY(validate_container_id(id));
    for (const PortMapping& m : mappings) {
      BERTH_TRY(validate(m).context("container \"" + id + "\""));
      for (const PortMapping& one : expand(m)) {
        PortElement e = port_element(id, one);
        if (wanted_at.emplace(std::pair{e.map, e.key}, wanted.size()).second) wanted.push_back({id, one, e});
      }
    }
  }
  BERTH_ASSIGN(UniqueFd held, lock());
  BERTH_ASSIGN(std::vector<PortElement> listed, list_port_maps(socket_, name_));
  ReconcileReport report;
  std::vector<PortElement> stale;
  for (PortElement& e : listed) {
    auto at = wanted_at.find({e.map, e.key});
    if (at != wanted_at.end() && wanted[at->second].element == e) {
      wanted[at->second].present = true;
      continue;
    }
    const std::optional<PortMapping> mapping = mapping_of(e);
    report.removed.push_back(e.container_id && mapping ? *e.container_id + ": " + mapping->to_string() : describe(e));
    stale.push_back(std::move(e));
  }
  std::vector<PortElement> missing;
  std::vector<size_t> missing_at;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (wanted[i].present) continue;
    missing.push_back(wanted[i].element);
    missing_at.push_back(i);
    report.added.push_back(wanted[i].id + ": " + wanted[i].mapping.to_string());
  }
  Batch batch;
  change_elements(batch, name_, stale, ElementChange::kDelete,
                  [&](size_t i) { return "reconcile: delete " + report.removed[i]; });
  change_elements(batch, name_, missing, ElementChange::kAdd, [&](size_t i) {
    const Wanted& w = wanted[missing_at[i]];
    return "reconcile: publish " + for_container(w.id, w.mapping);
  });
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
