// A private podman (Debian's podman 4.3, with conmon) driving berth-oci as its OCI runtime,
// for the tests that run podman: its storage, run and temp dirs and its config files
// (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, a signature policy)
// live in the test's temp dir, locks are files there (not /dev/shm/libpod_lock), events go to
// a file there, and every podman command runs in a private mount namespace with tmpfs over
// /run, /dev/shm and /var/lib/containers, the host paths podman 4.3 writes to whatever its
// configuration says (the blob info cache, netavark's run dir, the runtime's state root).
// Containers go under the cgroup parent /berth-podman-<pid>, removed at the end. Test code only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/fixture.h"
#include "tests/integration/support/peers.h"

namespace berth::integration {

class PrivatePodmanTest : public ::testing::Test {
 protected:
  // Skips without root, podman, conmon or a private mount namespace.
  void SetUp() override;
  void TearDown() override;

  // podman with the private set-up, in the private mount namespace.
  RunResult podman(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(60));
  // `podman run` options every test uses (no network, the cgroup parent, ulimits under this
  // process's hard limits), then `image`.
  [[nodiscard]] std::vector<std::string> run_args(std::vector<std::string> options, const std::string& image) const;

  std::string podman_;
  std::string conmon_;
  std::string dir_;  // short and lowercase: podman names images pulled from oci:DIR after DIR
  std::string cgroup_parent_;
  std::unique_ptr<PrivateMountNamespace> ns_;

 private:
  void write_configs();
};

}  // namespace berth::integration
