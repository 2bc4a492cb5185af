#include "isolators/cgroups/device_bpf.h"

#include <linux/filter.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

namespace berth::cgroups {
namespace {

// The instruction forms used here (the kernel's filter.h macros are not all in uapi).
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn mov64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn ldx_w(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// Registers after the prologue.
constexpr uint8_t kType = 2;
constexpr uint8_t kAccess = 3;
constexpr uint8_t kMajor = 4;
constexpr uint8_t kMinor = 5;
constexpr uint8_t kScratch = 1;  // the context pointer is not needed after the prologue

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}
constexpr int32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

// One rule: the checks that skip to the next rule when the device does not match, then
// the verdict. Returns whether the rule matches every device (nothing after it runs).
bool emit_rule(const DeviceRule& rule, std::vector<bpf_insn>& out) {
  std::vector<bpf_insn> checks;
  // Each jump's offset is filled in once the block's length is known.
  if (rule.type == 'c' || rule.type == 'b') {
    checks.push_back(jne_imm(kType, rule.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0));
  }
  int32_t bits = access_bits(rule.access);
  if (bits != kAllAccess) {
    // The request matches when it asks for nothing outside the rule's access.
    checks.push_back(mov32_reg(kScratch, kAccess));
    checks.push_back(alu32_imm(BPF_AND, kScratch, ~bits & kAllAccess));
    checks.push_back(jne_imm(kScratch, 0, 0));
  }
  if (rule.major >= 0) checks.push_back(jne_imm(kMajor, static_cast<int32_t>(rule.major), 0));
  if (rule.minor >= 0) checks.push_back(jne_imm(kMinor, static_cast<int32_t>(rule.minor), 0));
  const auto block = static_cast<int16_t>(checks.size() + 2);
  for (size_t i = 0; i < checks.size(); ++i) {
    if (BPF_CLASS(checks[i].code) == BPF_JMP) checks[i].off = static_cast<int16_t>(block - 1 - i);
  }
  out.insert(out.end(), checks.begin(), checks.end());
  out.push_back(mov64_imm(0, rule.allow ? 1 : 0));
  out.push_back(exit_insn());
  return checks.empty();
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof(attr)); }

}  // namespace

std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> out;
  // struct bpf_cgroup_dev_ctx: access_type (type in the low 16 bits, access in the high),
  // major, minor.
  out.push_back(ldx_w(kType, 1, offsetof(bpf_cgroup_dev_ctx, access_type)));
  out.push_back(mov32_reg(kAccess, kType));
  out.push_back(alu32_imm(BPF_AND, kType, 0xFFFF));
  out.push_back(alu32_imm(BPF_RSH, kAccess, 16));
  out.push_back(ldx_w(kMajor, 1, offsetof(bpf_cgroup_dev_ctx, major)));
  out.push_back(ldx_w(kMinor, 1, offsetof(bpf_cgroup_dev_ctx, minor)));
  for (size_t i = rules.size(); i-- > 0;) {
    if (emit_rule(rules[i], out)) return out;
  }
  out.push_back(mov64_imm(0, 0));  // no rule matched: deny
  out.push_back(exit_insn());
  return out;
}

Result<UniqueFd> load_device_program(const std::vector<bpf_insn>& program) {
  static const char kLicense[] = "Apache";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  long fd = bpf(BPF_PROG_LOAD, attr);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  int err = errno;
  // Again with the verifier's log, which says why.
  std::string log(1 << 20, '\0');
  attr.log_level = 1;
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  fd = bpf(BPF_PROG_LOAD, attr);
  if (fd >= 0) return UniqueFd(static_cast<int>(fd));
  log.resize(log.find('\0'));
  auto e = Error::from_errno("load the device eBPF program", err != 0 ? err : errno);
  if (log.empty()) return e;
  return Error(e.code(), e.message() + "; verifier log:\n" + log);
}

Status attach_device_program(int cgroup_dir_fd, int prog_fd) {
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup_dir_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = 0;
  if (bpf(BPF_PROG_ATTACH, attr) != 0) return Error::from_errno("attach the device eBPF program");
  return ok();
}

}  // namespace berth::cgroups
