#include <gtest/gtest.h>
#include <sys/resource.h>

#include <string>
#include <string_view>

#include "common/file.h"
#include "runtime/oci/spec.h"
#include "tests/unit/runtime/oci/spec_parse_test_util.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::oci {
namespace {

using spec_test::spec_error;
using spec_test::with_linux;
using spec_test::with_process;

// What `runc spec` writes (runc 1.1), with the tabs it uses.
constexpr std::string_view kRuncSpec = R"json({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			},
			{
				"type": "cgroup"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
})json";

TEST(SpecParse, FullRuncSpecParses) {
  auto spec = parse_spec(kRuncSpec);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->oci_version, "1.0.2-dev");
  ASSERT_TRUE(spec->process.has_value());
  const Process& p = *spec->process;
  EXPECT_TRUE(p.terminal);
  EXPECT_EQ(p.args, std::vector<std::string>{"sh"});
  EXPECT_EQ(p.env.size(), 2u);
  EXPECT_EQ(p.env[1], "TERM=xterm");
  EXPECT_EQ(p.cwd, "/");
  ASSERT_TRUE(p.capabilities.has_value());
  EXPECT_EQ(p.capabilities->bounding.size(), 3u);
  EXPECT_TRUE(p.capabilities->inheritable.empty());
  ASSERT_EQ(p.rlimits.size(), 1u);
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].hard, 1024u);
  EXPECT_TRUE(p.no_new_privileges);
  ASSERT_TRUE(spec->root.has_value());
  EXPECT_EQ(spec->root->path, "rootfs");
  EXPECT_TRUE(spec->root->readonly);
  EXPECT_EQ(spec->hostname, "runc");
  ASSERT_EQ(spec->mounts.size(), 7u);
  EXPECT_EQ(spec->mounts[2].destination, "/dev/pts");
  EXPECT_EQ(spec->mounts[2].options[3], "ptmxmode=0666");
  EXPECT_TRUE(spec->mounts[0].options.empty());
  ASSERT_TRUE(spec->linux.has_value());
  EXPECT_EQ(spec->linux->namespaces.size(), 6u);
  EXPECT_TRUE(spec->linux->namespaces[0].path.empty());
  EXPECT_EQ(spec->linux->masked_paths.size(), 10u);
  EXPECT_EQ(spec->linux->readonly_paths.back(), "/proc/sysrq-trigger");
  ASSERT_TRUE(spec->linux->resources.has_value());
  ASSERT_EQ(spec->linux->resources->devices.size(), 1u);
  EXPECT_FALSE(spec->linux->resources->devices[0].allow);
  EXPECT_EQ(spec->linux->resources->devices[0].type, "a");
  EXPECT_TRUE(spec->hooks.empty());
}

TEST(SpecParse, OnlyOciVersionIsRequired) {
  auto spec = parse_spec(R"({"ociVersion": "1.0.0"})");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_FALSE(spec->process.has_value());
  EXPECT_FALSE(spec->root.has_value());
  EXPECT_FALSE(spec->linux.has_value());
}

TEST(SpecParse, MissingOciVersionIsRefused) { EXPECT_EQ(spec_error("{}"), "ociVersion: required"); }

TEST(SpecParse, VersionsOtherThanOneAreRefused) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "2.0.0"})"), "ociVersion: unsupported version \"2.0.0\" (want 1.x.y)");
  EXPECT_NE(spec_error(R"({"ociVersion": "1.0"})"), "");
  EXPECT_NE(spec_error(R"({"ociVersion": "10.0.0"})"), "");
  EXPECT_NE(spec_error(R"({"ociVersion": "1.x.0"})"), "");
  EXPECT_EQ(spec_error(R"({"ociVersion": 1})"), "ociVersion: must be a string");
}

TEST(SpecParse, PrereleaseAndBuildVersionsAreAccepted) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.0-rc5"})"), "");
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.2.1+dev"})"), "");
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.1.0"})"), "");
}

TEST(SpecParse, MalformedJsonNamesTheLine) {
  std::string err = spec_error("{\n\"ociVersion\": \"1.0.0\",\n}");
  EXPECT_EQ(err.rfind("config.json: invalid JSON at line 3", 0), 0u) << err;
}

TEST(SpecParse, NonObjectDocumentIsRefused) { EXPECT_EQ(spec_error("[]"), "(root): must be an object"); }

TEST(SpecParse, UnknownFieldsAreIgnored) {
  auto spec = parse_spec(R"({"ociVersion": "1.2.0", "windows": {"layerFolders": []}, "vm": 7,
    "process": {"args": ["sh"], "futureKnob": {"x": 1}},
    "linux": {"someNewThing": true, "namespaces": [{"type": "pid", "extra": 1}]}})");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->linux->namespaces.size(), 1u);
}

TEST(SpecParse, NullFieldsAreTreatedAsAbsent) {
  auto spec = parse_spec(R"({"ociVersion": "1.2.0", "hostname": null, "mounts": null,
    "process": {"args": ["sh"], "env": null, "capabilities": null}, "linux": {"seccomp": null}})");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_FALSE(spec->process->capabilities.has_value());
  EXPECT_FALSE(spec->linux->seccomp.has_value());
}

TEST(SpecParse, RootWithoutPathIsRefused) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.0", "root": {"readonly": true}})"), "root.path: required");
}

TEST(SpecParse, RelativeMountDestinationIsKeptAsWritten) {
  auto spec = parse_spec(R"({"ociVersion": "1.0.0", "mounts": [{"destination": "data/../x", "type": "bind",
      "source": "/srv", "options": ["rbind"]}]})");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->mounts[0].destination, "data/../x");
}

TEST(SpecParse, MountWithoutDestinationIsRefused) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.0", "mounts": [{"destination": "/a"}, {"source": "/b"}]})"),
            "mounts[1].destination: required");
}

TEST(SpecParse, IdMappedMountIsRead) {
  auto spec = parse_spec(R"({"ociVersion": "1.2.0", "mounts": [{"destination": "/a", "source": "/b",
      "options": ["bind"], "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}]})");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  ASSERT_EQ(spec->mounts[0].uid_mappings.size(), 1u);
  EXPECT_EQ(spec->mounts[0].uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(spec->mounts[0].gid_mappings[0].size, 65536u);
}

TEST(SpecParse, HooksAreReadInEveryPhase) {
  auto spec = parse_spec(R"({"ociVersion": "1.2.0", "hooks": {
      "prestart": [{"path": "/bin/a"}],
      "createRuntime": [{"path": "/bin/b", "args": ["b", "x"], "env": ["K=V"], "timeout": 5}],
      "createContainer": [{"path": "/bin/c"}], "startContainer": [{"path": "/bin/d"}],
      "poststart": [{"path": "/bin/e"}], "poststop": [{"path": "/bin/f"}, {"path": "/bin/g"}]}})");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  const Hooks& h = spec->hooks;
  EXPECT_EQ(h.prestart[0].path, "/bin/a");
  EXPECT_EQ(h.create_runtime[0].args[1], "x");
  EXPECT_EQ(h.create_runtime[0].timeout_seconds, 5);
  EXPECT_FALSE(h.prestart[0].timeout_seconds.has_value());
  EXPECT_EQ(h.create_container[0].path, "/bin/c");
  EXPECT_EQ(h.start_container[0].path, "/bin/d");
  EXPECT_EQ(h.poststart[0].path, "/bin/e");
  EXPECT_EQ(h.poststop.size(), 2u);
}

TEST(SpecParse, RelativeHookPathIsRefused) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.0", "hooks": {"prestart": [{"path": "bin/a"}]}})"),
            "hooks.prestart[0].path: must be an absolute path");
}

TEST(SpecParse, ZeroHookTimeoutIsRefused) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.0", "hooks": {"poststop": [{"path": "/a", "timeout": 0}]}})"),
            "hooks.poststop[0].timeout: must be greater than zero");
}

TEST(SpecParse, AnnotationsAndNamesAreRead) {
  auto spec = parse_spec(R"({"ociVersion": "1.0.0", "hostname": "web", "domainname": "example.org",
      "annotations": {"org.opencontainers.image.os": "linux", "io.kubernetes.cri.sandbox-id": "abc"}})");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->hostname, "web");
  EXPECT_EQ(spec->domainname, "example.org");
  EXPECT_EQ(spec->annotations.at("io.kubernetes.cri.sandbox-id"), "abc");
}

TEST(SpecParse, NonStringAnnotationIsRefused) {
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.0", "annotations": {"a": 1}})"), "annotations.a: must be a string");
  EXPECT_EQ(spec_error(R"({"ociVersion": "1.0.0", "annotations": {"": "x"}})"), "annotations: keys must not be empty");
}

TEST(SpecParse, UnknownNamespaceIsRefused) {
  EXPECT_EQ(spec_error(with_linux(R"({"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "foo"}]})")),
            "linux.namespaces[2].type: unknown namespace \"foo\"");
}

TEST(SpecParse, DuplicateNamespaceIsRefused) {
  EXPECT_EQ(spec_error(with_linux(R"({"namespaces": [{"type": "pid"}, {"type": "pid", "path": "/proc/1/ns/pid"}]})")),
            "linux.namespaces[1].type: duplicate namespace \"pid\"");
}

TEST(SpecParse, NamespacePathIsKeptAndMustBeAbsolute) {
  auto spec = parse_spec(with_linux(R"({"namespaces": [{"type": "network", "path": "/var/run/netns/a"},
      {"type": "time"}]})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->linux->find_namespace("network")->path, "/var/run/netns/a");
  EXPECT_NE(spec->linux->find_namespace("time"), nullptr);
  EXPECT_EQ(spec_error(with_linux(R"({"namespaces": [{"type": "uts", "path": "ns/uts"}]})")),
            "linux.namespaces[0].path: must be an absolute path");
}

TEST(SpecParse, NewUserNamespaceNeedsMappings) {
  EXPECT_EQ(spec_error(with_linux(R"({"namespaces": [{"type": "user"}]})")),
            "linux.uidMappings: required with a new user namespace");
  EXPECT_EQ(spec_error(with_linux(R"({"namespaces": [{"type": "user"}],
      "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})")),
            "linux.gidMappings: required with a new user namespace");
}

TEST(SpecParse, JoinedUserNamespaceNeedsNoMappings) {
  EXPECT_EQ(spec_error(with_linux(R"({"namespaces": [{"type": "user", "path": "/proc/7/ns/user"}]})")), "");
}

TEST(SpecParse, UserNamespaceMappingsAreRead) {
  auto spec = parse_spec(with_linux(R"({"namespaces": [{"type": "user"}],
      "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}, {"containerID": 1, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  ASSERT_EQ(spec->linux->uid_mappings.size(), 2u);
  EXPECT_EQ(spec->linux->uid_mappings[1].container_id, 1u);
  EXPECT_EQ(spec->linux->uid_mappings[1].host_id, 100000u);
  EXPECT_EQ(spec_error(with_linux(R"({"uidMappings": [{"containerID": 0, "hostID": 1}]})")),
            "linux.uidMappings[0].size: required");
}

TEST(SpecParse, DevicesAreReadWithTheirNumbers) {
  auto spec = parse_spec(with_linux(R"({"devices": [
      {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
      {"path": "/dev/pipe", "type": "p"}]})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  const auto& devices = spec->linux->devices;
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].type, 'c');
  EXPECT_EQ(devices[0].major, 10);
  EXPECT_EQ(devices[0].minor, 229);
  EXPECT_EQ(devices[0].file_mode, 0666u);
  EXPECT_EQ(devices[1].type, 'p');
  EXPECT_FALSE(devices[1].uid.has_value());
}

TEST(SpecParse, BadDevicesAreRefused) {
  EXPECT_EQ(spec_error(with_linux(R"({"devices": [{"path": "/dev/x", "type": "z"}]})")),
            "linux.devices[0].type: unknown device type \"z\"");
  EXPECT_EQ(spec_error(with_linux(R"({"devices": [{"path": "/dev/x", "type": "b", "minor": 1}]})")),
            "linux.devices[0].major: required for type \"b\"");
  EXPECT_EQ(spec_error(with_linux(R"({"devices": [{"path": "/dev/x", "type": "u", "major": 1}]})")),
            "linux.devices[0].minor: required for type \"u\"");
  EXPECT_EQ(spec_error(with_linux(R"({"devices": [{"path": "dev/x", "type": "p"}]})")),
            "linux.devices[0].path: must be an absolute path");
}

TEST(SpecParse, UnknownRootfsPropagationIsRefused) {
  EXPECT_EQ(spec_error(with_linux(R"({"rootfsPropagation": "rslave"})")), "");
  EXPECT_EQ(spec_error(with_linux(R"({"rootfsPropagation": "foo"})")),
            "linux.rootfsPropagation: unknown propagation \"foo\"");
}

TEST(SpecParse, PersonalityAndTimeOffsetsAreChecked) {
  auto spec = parse_spec(with_linux(R"({"personality": {"domain": "LINUX32"},
      "namespaces": [{"type": "time"}], "timeOffsets": {"monotonic": {"secs": -10, "nanosecs": 5}}})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->linux->personality->domain, "LINUX32");
  EXPECT_EQ(spec->linux->time_offsets.at("monotonic").secs, -10);
  EXPECT_EQ(spec->linux->time_offsets.at("monotonic").nanosecs, 5u);
  EXPECT_EQ(spec_error(with_linux(R"({"personality": {"domain": "BSD"}})")),
            "linux.personality.domain: unknown domain \"BSD\"");
  EXPECT_EQ(spec_error(with_linux(R"({"namespaces": [{"type": "time"}], "timeOffsets": {"realtime": {"secs": 1}}})")),
            "linux.timeOffsets.realtime: unknown clock (want monotonic or boottime)");
}

TEST(SpecParse, TimeOffsetsWithoutNewTimeNamespaceAreRefused) {
  EXPECT_EQ(spec_error(with_linux(R"({"timeOffsets": {"boottime": {"secs": 1}}})")),
            "linux.timeOffsets: requires a new time namespace");
}

TEST(SpecParse, LinuxSettingsAreRead) {
  auto spec = parse_spec(with_linux(R"({"sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
      "cgroupsPath": "system.slice:berth:web", "mountLabel": "system_u:object_r:container_file_t:s0",
      "rootfsPropagation": "rprivate", "intelRdt": {"closID": "guaranteed", "l3CacheSchema": "L3:0=ff"},
      "personality": {"domain": "LINUX", "flags": []}})"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  const Linux& l = *spec->linux;
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(l.cgroups_path, "system.slice:berth:web");
  EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
  EXPECT_EQ(l.rootfs_propagation, "rprivate");
  EXPECT_EQ(l.intel_rdt_clos_id, "guaranteed");
  EXPECT_EQ(l.personality->domain, "LINUX");
  EXPECT_EQ(spec_error(with_linux(R"({"sysctl": {"a": 1}})")), "linux.sysctl.a: must be a string");
  EXPECT_EQ(spec_error(with_linux(R"({"maskedPaths": "/proc/kcore"})")), "linux.maskedPaths: must be an array");
  EXPECT_EQ(spec_error(with_linux("[]")), "linux: must be an object");
}

// A bundle directory that removes itself.
class Bundle {
 public:
  [[nodiscard]] const std::string& dir() const { return tmp_.path(); }

 private:
  TempDir tmp_{"berth-spec-test-"};
};

TEST(SpecParse, LoadSpecReadsTheBundleConfig) {
  Bundle bundle;
  ASSERT_FALSE(bundle.dir().empty());
  ASSERT_TRUE(write_file(bundle.dir() + "/config.json", kRuncSpec).ok());
  auto spec = load_spec(bundle.dir());
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->hostname, "runc");
}

TEST(SpecParse, LoadSpecErrorsNameTheFile) {
  Bundle bundle;
  std::string config = bundle.dir() + "/config.json";
  auto missing = load_spec(bundle.dir());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_NE(missing.error().message().find(config), std::string::npos) << missing.error().message();

  ASSERT_TRUE(write_file(config, R"({"ociVersion": "1.0.0", "process": {"args": []}})").ok());
  auto invalid = load_spec(bundle.dir());
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().message(), config + ": process.args: must not be empty");

  ASSERT_TRUE(write_file(config, "{").ok());
  auto garbled = load_spec(bundle.dir());
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.error().message().rfind(config + ": invalid JSON at line 1", 0), 0u) << garbled.error().message();
}

}  // namespace
}  // namespace berth::oci
