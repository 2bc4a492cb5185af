// CDI specs in JSON and YAML: every field of containerEdits read, errors naming the file and
// the field, /var/run/cdi overriding /etc/cdi, and resolve() turning fully qualified names
// into devices, mounts and environment (an unknown name listing the known ones).
#include "isolators/gpu/cdi.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/isolators/gpu/fake_nvidia_host.h"

namespace berth::gpu {
namespace {

using testing::FakeNvidiaHost;

constexpr const char* kJsonSpec = R"({
	"cdiVersion": "0.6.0",
	"kind": "example.com/net",
	"containerEdits": {"env": ["EXAMPLE_SPEC=1"], "mounts": [{"hostPath": "/opt/example", "containerPath": "/opt/example", "options": ["ro", "bind"]}]},
	"devices": [
		{"name": "eth0", "containerEdits": {
			"env": ["EXAMPLE_DEVICE=eth0"],
			"deviceNodes": [{"path": "/dev/example0", "hostPath": "/dev/ex0", "type": "c", "major": 240, "minor": 7, "fileMode": 384, "permissions": "rw", "uid": 1000, "gid": 1000}],
			"mounts": [{"hostPath": "/run/example/eth0.sock", "containerPath": "/run/example.sock", "type": "bind", "options": ["rbind"]}],
			"hooks": [{"hookName": "createContainer", "path": "/usr/bin/example-hook", "args": ["example-hook", "eth0"]}]
		}},
		{"name": "eth1", "containerEdits": {"deviceNodes": [{"path": "/dev/example1", "type": "c", "major": 240, "minor": 8}]}}
	]
})";

constexpr const char* kYamlSpec = R"(cdiVersion: 0.5.0
kind: nvidia.com/gpu
containerEdits:
  env:
    - NVIDIA_VISIBLE_DEVICES=void
  hooks:
    - hookName: createContainer
      path: /usr/bin/nvidia-cdi-hook
      args: [nvidia-cdi-hook, update-ldcache]
devices:
  - name: "0"
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia0
          type: c
          major: 195
          minor: 0
          fileMode: 0666
  - name: all
    containerEdits:
      deviceNodes:
        - {path: /dev/nvidia0, type: c, major: 195, minor: 0}
        - {path: /dev/nvidia1, type: c, major: 195, minor: 1}
)";

TEST(CdiSpec, JsonSpecIsReadWithEveryField) {
  auto spec = parse_cdi_spec(kJsonSpec, "/etc/cdi/example.json");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->version, "0.6.0");
  EXPECT_EQ(spec->kind, "example.com/net");
  EXPECT_EQ(spec->edits.env, std::vector<std::string>{"EXAMPLE_SPEC=1"});
  ASSERT_EQ(spec->devices.size(), 2U);
  const auto& eth0 = spec->devices[0];
  EXPECT_EQ(eth0.name, "eth0");
  ASSERT_EQ(eth0.edits.device_nodes.size(), 1U);
  const auto& n = eth0.edits.device_nodes[0];
  EXPECT_EQ(n.path, "/dev/example0");
  EXPECT_EQ(n.host_path, "/dev/ex0");
  EXPECT_EQ(n.type, 'c');
  EXPECT_EQ(n.major, 240);
  EXPECT_EQ(n.minor, 7);
  EXPECT_EQ(n.file_mode, 0600U);
  EXPECT_EQ(n.permissions, "rw");
  EXPECT_EQ(n.uid, 1000U);
  EXPECT_EQ(n.gid, 1000U);
  ASSERT_EQ(eth0.edits.mounts.size(), 1U);
  EXPECT_EQ(eth0.edits.mounts[0].host_path, "/run/example/eth0.sock");
  EXPECT_EQ(eth0.edits.mounts[0].container_path, "/run/example.sock");
  EXPECT_EQ(eth0.edits.mounts[0].type, "bind");
  EXPECT_EQ(eth0.edits.mounts[0].options, std::vector<std::string>{"rbind"});
  EXPECT_EQ(eth0.edits.hooks, 1U);
}

TEST(CdiSpec, YamlSpecIsReadWithOctalFileMode) {
  auto spec = parse_cdi_spec(kYamlSpec, "/etc/cdi/nvidia.yaml");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->kind, "nvidia.com/gpu");
  EXPECT_EQ(spec->edits.hooks, 1U);
  ASSERT_EQ(spec->devices.size(), 2U);
  EXPECT_EQ(spec->devices[0].name, "0");
  ASSERT_EQ(spec->devices[0].edits.device_nodes.size(), 1U);
  EXPECT_EQ(spec->devices[0].edits.device_nodes[0].file_mode, 0666U);
  EXPECT_EQ(spec->devices[1].edits.device_nodes.size(), 2U);
}

TEST(CdiSpec, InvalidFieldIsNamedWithTheFile) {
  std::string bad = kYamlSpec;
  bad.replace(bad.find("path: /dev/nvidia0"), 18, "path: dev/nvidia0");
  auto spec = parse_cdi_spec(bad, "/etc/cdi/nvidia.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().message(),
            "/etc/cdi/nvidia.yaml: devices[0].containerEdits.deviceNodes[0].path: \"dev/nvidia0\" is not an absolute "
            "path");
}

TEST(CdiSpec, MissingOrMalformedTopLevelFieldsAreRefused) {
  auto no_kind = parse_cdi_spec("cdiVersion: 0.6.0\ndevices: [{name: a}]\n", "/etc/cdi/a.yaml");
  ASSERT_FALSE(no_kind.ok());
  EXPECT_EQ(no_kind.error().message(), "/etc/cdi/a.yaml: (root): \"kind\" is required");
  auto bad_kind = parse_cdi_spec("cdiVersion: 0.6.0\nkind: gpu\ndevices: [{name: a}]\n", "/etc/cdi/a.yaml");
  ASSERT_FALSE(bad_kind.ok());
  EXPECT_EQ(bad_kind.error().message(), "/etc/cdi/a.yaml: kind: \"gpu\" is not vendor.com/class");
  auto no_devices = parse_cdi_spec(R"({"cdiVersion": "0.6.0", "kind": "a.com/b", "devices": []})", "/x.json");
  ASSERT_FALSE(no_devices.ok());
  EXPECT_EQ(no_devices.error().message(), "/x.json: devices: must name at least one device");
  auto bad_env =
      parse_cdi_spec("cdiVersion: 0.6.0\nkind: a.com/b\ndevices: [{name: a, containerEdits: {env: [X]}}]\n", "/x.yaml");
  ASSERT_FALSE(bad_env.ok());
  EXPECT_EQ(bad_env.error().message(), "/x.yaml: devices[0].containerEdits.env[0]: \"X\" is not NAME=value");
  auto bad_type = parse_cdi_spec(
      "cdiVersion: 0.6.0\nkind: a.com/b\ndevices: [{name: a, containerEdits: {deviceNodes: [{path: /dev/a, type: "
      "x}]}}]\n",
      "/x.yaml");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.error().message(),
            "/x.yaml: devices[0].containerEdits.deviceNodes[0].type: \"x\" is not c, b, u or p");
}

TEST(CdiSpec, SyntaxErrorNamesTheFileAndLine) {
  auto spec = parse_cdi_spec("cdiVersion: 0.6.0\nkind: [unclosed\n", "/etc/cdi/broken.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_TRUE(spec.error().message().starts_with("/etc/cdi/broken.yaml: line ")) << spec.error().message();
}

TEST(CdiSpec, QualifiedNamesAreSplitIntoKindAndName) {
  auto n = parse_cdi_name("nvidia.com/gpu=GPU-8d3c:0");
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->kind, "nvidia.com/gpu");
  EXPECT_EQ(n->name, "GPU-8d3c:0");
  for (const char* bad : {"nvidia.com/gpu", "gpu=0", "nvidia.com/gpu=", "=0", "nvidia.com/gpu=-0"}) {
    auto r = parse_cdi_name(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(),
              std::string("CDI device \"") + bad + "\": not a fully qualified name (vendor.com/class=name)");
  }
}

class CdiRegistryTest : public ::testing::Test {
 protected:
  CdiRegistry load() const { return CdiRegistry::load(fake_.root(), {"/etc/cdi", "/var/run/cdi"}); }
  FakeNvidiaHost fake_;
};

TEST_F(CdiRegistryTest, ResolvesDeviceEditsAndTheSpecEditsOnce) {
  fake_.write("etc/cdi/example.json", kJsonSpec);
  auto registry = load();
  ASSERT_TRUE(registry.problems().empty()) << registry.problems()[0];
  auto add = registry.resolve({"example.com/net=eth0", "example.com/net=eth1"}, fake_.root());
  ASSERT_TRUE(add.ok()) << add.error().message();
  EXPECT_EQ(add->env, (std::vector<std::string>{"EXAMPLE_SPEC=1", "EXAMPLE_DEVICE=eth0"}));
  ASSERT_EQ(add->devices.size(), 2U);
  EXPECT_EQ(add->devices[0].path, "/dev/example0");
  EXPECT_EQ(add->devices[0].type, 'c');
  EXPECT_EQ(add->devices[0].major, 240);
  EXPECT_EQ(add->devices[0].minor, 7);
  EXPECT_EQ(add->devices[0].file_mode, 0600U);
  EXPECT_EQ(add->devices[0].uid, 1000U);
  EXPECT_EQ(add->devices[1].path, "/dev/example1");
  EXPECT_EQ(add->devices[1].minor, 8);
  ASSERT_EQ(add->mounts.size(), 2U);
  EXPECT_EQ(add->mounts[0].destination, "/opt/example");
  EXPECT_EQ(add->mounts[0].source, "/opt/example");
  EXPECT_EQ(add->mounts[0].options, (std::vector<std::string>{"ro", "bind"}));
  EXPECT_EQ(add->mounts[1].destination, "/run/example.sock");
  EXPECT_EQ(add->mounts[1].type, "bind");
}

TEST_F(CdiRegistryTest, UnknownNameIsAnErrorListingTheKnownOnes) {
  fake_.write("etc/cdi/example.json", kJsonSpec);
  fake_.write("var/run/cdi/nvidia.yaml", kYamlSpec);
  auto registry = load();
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"example.com/net=eth0", "example.com/net=eth1",
                                                        "nvidia.com/gpu=0", "nvidia.com/gpu=all"}));
  auto add = registry.resolve({"nvidia.com/gpu=0", "nvidia.com/gpu=7"}, fake_.root());
  ASSERT_FALSE(add.ok());
  EXPECT_EQ(add.error().message(),
            "unknown CDI device \"nvidia.com/gpu=7\"; known: example.com/net=eth0, example.com/net=eth1, "
            "nvidia.com/gpu=0, nvidia.com/gpu=all");
}

TEST_F(CdiRegistryTest, BrokenSpecIsReportedAndDoesNotHideTheOthers) {
  fake_.write("etc/cdi/example.json", kJsonSpec);
  fake_.write("etc/cdi/broken.yaml", "cdiVersion: 0.6.0\nkind: a.com/b\ndevices: [{containerEdits: {}}]\n");
  fake_.write("etc/cdi/README", "not a spec: ignored");
  auto registry = load();
  ASSERT_EQ(registry.problems().size(), 1U);
  EXPECT_EQ(registry.problems()[0], fake_.path("etc/cdi/broken.yaml") + ": devices[0]: \"name\" is required");
  EXPECT_TRUE(registry.resolve({"example.com/net=eth1"}, fake_.root()).ok());
  auto add = registry.resolve({"a.com/b=x"}, fake_.root());
  ASSERT_FALSE(add.ok());
  EXPECT_NE(add.error().message().find("specs that could not be used: " + registry.problems()[0]), std::string::npos)
      << add.error().message();
}

TEST_F(CdiRegistryTest, VarRunCdiOverridesEtcCdi) {
  fake_.write("etc/cdi/example.json", kJsonSpec);
  fake_.write("var/run/cdi/example.yaml",
              "cdiVersion: 0.6.0\nkind: example.com/net\ndevices:\n  - name: eth1\n    containerEdits:\n      env: "
              "[FROM=var-run]\n");
  auto add = load().resolve({"example.com/net=eth1"}, fake_.root());
  ASSERT_TRUE(add.ok()) << add.error().message();
  EXPECT_EQ(add->env, std::vector<std::string>{"FROM=var-run"});
  EXPECT_TRUE(add->devices.empty());
}

TEST_F(CdiRegistryTest, SameNameTwiceInOneDirectoryIsAConflict) {
  fake_.write("etc/cdi/a.json", kJsonSpec);
  fake_.write("etc/cdi/b.json", kJsonSpec);
  auto registry = load();
  EXPECT_FALSE(registry.problems().empty());
  auto add = registry.resolve({"example.com/net=eth0"}, fake_.root());
  ASSERT_FALSE(add.ok());
  EXPECT_EQ(add.error().message(), "CDI device \"example.com/net=eth0\" is defined in both " +
                                       fake_.path("etc/cdi/a.json") + " and " + fake_.path("etc/cdi/b.json"));
}

TEST_F(CdiRegistryTest, DeviceNodeWithoutNumbersTakesThemFromTheHostNode) {
  skip_unless_mknod();
  fake_.make_nodes();
  fake_.write("etc/cdi/nvidia.yaml",
              "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n  - name: gpu1\n    containerEdits:\n"
              "      deviceNodes: [{path: /dev/nvidia1}, {path: /dev/nvidia-uvm}]\n");
  auto add = load().resolve({"nvidia.com/gpu=gpu1"}, fake_.root());
  ASSERT_TRUE(add.ok()) << add.error().message();
  ASSERT_EQ(add->devices.size(), 2U);
  EXPECT_EQ(add->devices[0].type, 'c');
  EXPECT_EQ(add->devices[0].major, 195);
  EXPECT_EQ(add->devices[0].minor, 1);
  EXPECT_EQ(add->devices[0].file_mode, 0666U);
  EXPECT_EQ(add->devices[1].major, 238);
}

TEST_F(CdiRegistryTest, DeviceNodeMissingOnTheHostIsAnErrorNamingDeviceAndSpec) {
  fake_.write("etc/cdi/nvidia.yaml",
              "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n  - name: gpu9\n    containerEdits:\n"
              "      deviceNodes: [{path: /dev/nvidia9}]\n");
  auto add = load().resolve({"nvidia.com/gpu=gpu9"}, fake_.root());
  ASSERT_FALSE(add.ok());
  EXPECT_EQ(add.error().message(), "CDI device \"nvidia.com/gpu=gpu9\" (" + fake_.path("etc/cdi/nvidia.yaml") +
                                       "): device node /dev/nvidia9: stat " + fake_.path("dev/nvidia9") +
                                       ": No such file or directory");
}

}  // namespace
}  // namespace berth::gpu
