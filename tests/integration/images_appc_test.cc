// AppC images end to end: ACIs built at test time with actool from the busybox fixture's
// root, imported into the content store, rendered (dependencies below the image, each ACI
// one shared snapshot layer, pathWhitelist honoured), mounted as an overlay root and run
// with berth-oci; a dependency the store lacks is found by discovery on a loopback
// busybox httpd; hostile ACIs are refused and leave the store as it was.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/file.h"
#include "common/strings.h"
#include "images/appc/aci_render.h"
#include "images/appc/discovery.h"
#include "images/store/gc.h"
#include "tests/integration/support/fixture.h"
#include "tests/unit/support/tar_builder.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::integration {
namespace {

using images::ContentStore;
using images::appc::AciImage;
using images::appc::import_aci_file;

std::string manifest_json(const std::string& name, const std::string& version, const std::string& rest) {
  return R"({"acKind": "ImageManifest", "acVersion": "0.8.11", "name": ")" + name +
         R"(", "labels": [{"name": "version", "value": ")" + version + R"("}, {"name": "os", "value": "linux"},
         {"name": "arch", "value": ")" +
         images::appc::host_arch() + R"("}])" + rest + "}";
}

// busybox httpd serving `dir` on a free loopback port; killed (by its pid) at the end.
class LoopbackHttpd {
 public:
  explicit LoopbackHttpd(const std::string& dir) {
    port_ = free_port();
    auto pid =
        spawn_in_own_group({"busybox", "httpd", "-f", "-p", "127.0.0.1:" + std::to_string(port_), "-h", dir}, -1, 2, 2);
    if (!pid) return;
    pid_ = *pid;
    for (int i = 0; i < 100 && !accepting(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~LoopbackHttpd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  LoopbackHttpd(const LoopbackHttpd&) = delete;
  LoopbackHttpd& operator=(const LoopbackHttpd&) = delete;

  [[nodiscard]] bool running() const { return pid_ > 0 && accepting(); }
  [[nodiscard]] std::string authority() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }
  static int free_port() {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 0;
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }
  [[nodiscard]] bool accepting() const {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a = loopback(port_);
    return ::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  int port_ = 0;
  pid_t pid_ = -1;
};

class AppcImages : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/actool", X_OK) != 0) GTEST_SKIP() << "actool (Debian appc-spec) is not installed";
    RunResult tmpl = run_cmd({"bash", fixture_script(), "rootfs-template"}, {}, std::chrono::seconds(120));
    ASSERT_TRUE(tmpl.ok()) << tmpl;
    template_dir_ = std::string(trim(tmpl.out));
    auto store = ContentStore::open(tmp_.path() + "/store");
    ASSERT_TRUE(store) << store.error().message();
    store_.emplace(std::move(*store));
  }

  // An ACI from `manifest`, a rootfs holding `files` (path -> content) and, when
  // `with_busybox`, the fixture's busybox root; gzip unless `compress` is false.
  std::string build_aci(const std::string& label, const std::string& manifest,
                        const std::vector<std::pair<std::string, std::string>>& files, bool with_busybox,
                        bool compress = true) {
    const std::string src = tmp_.path() + "/src-" + label;
    EXPECT_TRUE(mkdir_p(src + "/rootfs", 0755));
    if (with_busybox) {
      RunResult cp = run_cmd({"cp", "-a", template_dir_ + "/rootfs/.", src + "/rootfs/"});
      EXPECT_TRUE(cp.ok()) << cp;
    }
    const std::string rootfs = src + "/rootfs/";
    for (const auto& [path, content] : files) {
      const std::string file = path_join(rootfs, path);
      EXPECT_TRUE(mkdir_p(dirname_of(file), 0755));
      EXPECT_TRUE(write_file(file, content));
    }
    EXPECT_TRUE(write_file(src + "/manifest", manifest));
    std::string out = tmp_.path() + "/" + label + ".aci";
    std::vector<std::string> argv = {"actool", "build", "--owner-root"};
    if (!compress) argv.emplace_back("--no-compression");
    argv.insert(argv.end(), {src, out});
    RunResult built = run_cmd(argv, {}, std::chrono::seconds(60));
    EXPECT_TRUE(built.ok()) << built;
    return out;
  }

  std::string base_aci(bool compress = true, const std::string& version = "1.0.0") {
    return build_aci("base-" + version,
                     manifest_json("berth.test/busybox", version,
                                   R"(, "app": {"exec": ["/bin/sh", "-c", "echo from-the-aci; cat /etc/base-marker"],
                                       "user": "0", "group": "0", "environment": [{"name": "GREETING", "value": "hi"}]})"),
                     {{"etc/base-marker", "base-layer\n"}}, true, compress);
  }

  // An app ACI without busybox of its own: it depends on the base.
  std::string app_aci(const std::string& label, const std::string& dependency, const std::string& whitelist = "") {
    return build_aci(label,
                     manifest_json("berth.test/" + label, "2.0.0",
                                   R"(, "app": {"exec": ["/bin/sh", "-c", "cat /etc/app-marker; )"
                                   R"(test -e /etc/base-marker && cat /etc/base-marker; ls /bin/busybox"],
                                   "user": "0", "group": "0"}, "dependencies": [)" +
                                       dependency + "]" + whitelist),
                     {{"etc/app-marker", label + "-layer\n"}}, false);
  }

  size_t blob_count() {
    auto blobs = store_->list_blobs();
    return blobs ? blobs->size() : 0;
  }
  size_t record_count() {
    auto records = images::list_image_records(*store_);
    return records ? records->size() : 0;
  }

  // Renders `top`, mounts it as the bundle's root and runs its app's exec.
  RunResult run_rendered(const AciImage& top, const images::appc::DependencyFetcher& fetch = {}) {
    auto order = images::appc::resolve_render_order(*store_, top, fetch);
    if (!order) return {.exit_code = -1, .err = order.error().message()};
    images::UnpackPolicy policy;
    policy.devices = images::DeviceNodes::kCreate;
    auto snapshots = images::Snapshotter::open(tmp_.path() + "/snapshots", images::SnapshotBackend::kOverlay, policy);
    if (!snapshots) return {.exit_code = -1, .err = snapshots.error().message()};
    auto layers = images::appc::render_layers(*store_, *snapshots, *order);
    if (!layers) return {.exit_code = -1, .err = layers.error().message()};
    rendered_layers_ = layers->size();
    BundleFixture fx;
    if (!fx.ok()) return {.exit_code = -1, .err = fx.error()};
    const std::string id = fx.new_id("aci");
    auto mounts = snapshots->prepare(id, *layers);
    if (!mounts) return {.exit_code = -1, .err = mounts.error().message()};
    std::string data;
    for (const auto& o : (*mounts)[0].options) data += (data.empty() ? "" : ",") + o;
    auto defaults = images::appc::container_defaults(top.manifest);
    auto& process = fx.config()["process"];
    auto& a = fx.config().GetAllocator();
    process["args"].SetArray();
    for (const auto& arg : *defaults.entrypoint) process["args"].PushBack(rapidjson::Value(arg.c_str(), a), a);
    for (const auto& env : defaults.env) process["env"].PushBack(rapidjson::Value(env.c_str(), a), a);
    fx.save_config();
    if (::mount("overlay", fx.rootfs().c_str(), "overlay", 0, data.c_str()) != 0) {
      return {.exit_code = -1, .err = std::string("mount overlay: ") + std::strerror(errno)};
    }
    RunResult r = fx.berth_oci({"run", "--bundle", fx.bundle(), id});
    ::umount2(fx.rootfs().c_str(), MNT_DETACH);
    EXPECT_TRUE(snapshots->remove(id));
    return r;
  }

  // Runs `top` rendered: checks what it prints and how many layers made its root.
  void expect_output(const AciImage& top, const std::string& expected, size_t layers) {
    RunResult r = run_rendered(top);
    EXPECT_TRUE(r.ok()) << r;
    EXPECT_EQ(r.out, expected) << r;
    EXPECT_EQ(rendered_layers_, layers);
  }

  TempDir tmp_{"berth-it-appc-"};
  std::string template_dir_;
  std::optional<ContentStore> store_;
  size_t rendered_layers_ = 0;
};

TEST_F(AppcImages, ImportedAciIsFoundByNameLabelsAndIdAndKeptByGarbageCollection) {
  const std::string aci = base_aci();
  auto image = import_aci_file(*store_, aci);
  ASSERT_TRUE(image) << image.error().message();
  RunResult sum = run_cmd({"sh", "-c", "gunzip -c " + aci + " | sha512sum"});
  ASSERT_TRUE(sum.ok()) << sum;
  EXPECT_EQ(image->id_text(), "sha512-" + sum.out.substr(0, 128)) << "the ID is the sha512 of the uncompressed tar";
  EXPECT_EQ(image->record.name, image->id_text());
  EXPECT_TRUE(store_->has(image->id));
  auto by_labels = images::appc::find_aci(*store_, "berth.test/busybox", {{"version", "1.0.0"}, {"os", "linux"}});
  ASSERT_TRUE(by_labels && *by_labels);
  EXPECT_EQ((*by_labels)->id, image->id);
  auto wrong_version = images::appc::find_aci(*store_, "berth.test/busybox", {{"version", "9"}});
  ASSERT_TRUE(wrong_version);
  EXPECT_FALSE(*wrong_version);
  auto by_short_id = images::appc::find_aci_by_id(*store_, image->id_text().substr(0, 7 + 12));
  ASSERT_TRUE(by_short_id) << by_short_id.error().message();
  EXPECT_EQ(by_short_id->id, image->id);
  auto again = import_aci_file(*store_, aci);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(blob_count(), 2U) << "the ACI and its manifest, once";

  // Without a version label the greatest version wins, compared as numbers.
  auto newer = import_aci_file(*store_, base_aci(true, "1.10.0"));
  ASSERT_TRUE(newer) << newer.error().message();
  ASSERT_TRUE(import_aci_file(*store_, base_aci(true, "1.9.0")));
  auto latest = images::appc::find_aci(*store_, "berth.test/busybox", {});
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->id, newer->id);

  auto pruned = images::prune(*store_);
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_TRUE(pruned->removed.empty()) << "the image record roots the ACI and its manifest";
  ASSERT_TRUE(images::remove_image_record(*store_, image->id_text()));
  pruned = images::prune(*store_);
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_EQ(pruned->removed.size(), 2U);
  EXPECT_FALSE(store_->has(image->id));
}

TEST_F(AppcImages, ImportedAciRunsAsAContainerFromItsSnapshot) {
  skip_unless_root();
  auto image = import_aci_file(*store_, base_aci());
  ASSERT_TRUE(image) << image.error().message();
  expect_output(*image, "from-the-aci\nbase-layer\n", 1);
}

TEST_F(AppcImages, DependentAciRendersItsDependencyBelowIt) {
  skip_unless_root();
  auto base = import_aci_file(*store_, base_aci(/*compress=*/false));
  ASSERT_TRUE(base) << base.error().message();
  auto app = import_aci_file(*store_, app_aci("app", R"({"imageName": "berth.test/busybox", "imageID": ")" +
                                                         base->id_text().substr(0, 7 + 64) +
                                                         R"(", "labels": [{"name": "version", "value": "1.0.0"}]})"));
  ASSERT_TRUE(app) << app.error().message();
  auto order = images::appc::resolve_render_order(*store_, *app);
  ASSERT_TRUE(order) << order.error().message();
  ASSERT_EQ(order->size(), 2U);
  EXPECT_EQ((*order)[0].id, base->id);
  EXPECT_EQ((*order)[1].id, app->id);
  expect_output(*app, "app-layer\nbase-layer\n/bin/busybox\n", 2);
}

TEST_F(AppcImages, PathWhitelistHidesDependencyFilesItDoesNotName) {
  skip_unless_root();
  ASSERT_TRUE(import_aci_file(*store_, base_aci()));
  auto app =
      import_aci_file(*store_, app_aci("narrow", R"({"imageName": "berth.test/busybox"})",
                                       R"(, "pathWhitelist": ["/bin/", "/etc/app-marker", "/proc", "/dev", "/sys"])"));
  ASSERT_TRUE(app) << app.error().message();
  // base-marker is not whitelisted; three layers: base, app, and the whitelist's whiteouts.
  expect_output(*app, "narrow-layer\n/bin/busybox\n", 3);
}

TEST_F(AppcImages, MissingDependencyIsDiscoveredOnALoopbackHttpServer) {
  const std::string served = tmp_.path() + "/www";
  ASSERT_TRUE(mkdir_p(served + "/meta", 0755));
  // Simple discovery: https://berth.test/busybox-1.0.0-linux-<arch>.aci (HTTPS fails, loopback falls back to HTTP).
  const std::string base = base_aci();
  ASSERT_TRUE(run_cmd({"cp", base, served + "/busybox-1.0.0-linux-" + images::appc::host_arch() + ".aci"}).ok());
  LoopbackHttpd httpd(served);
  ASSERT_TRUE(httpd.running()) << "busybox httpd did not start on " << httpd.authority();
  images::appc::DiscoveryOptions options;
  options.host_aliases["berth.test"] = httpd.authority();
  options.http.timeout = std::chrono::seconds(5);
  auto app = import_aci_file(
      *store_,
      app_aci("app", R"({"imageName": "berth.test/busybox", "labels": [{"name": "version", "value": "1.0.0"}]})"));
  ASSERT_TRUE(app) << app.error().message();
  auto offline = images::appc::resolve_render_order(*store_, *app);
  ASSERT_FALSE(offline);
  EXPECT_NE(offline.error().message().find("not in the store"), std::string::npos) << offline.error().message();
  auto order = images::appc::resolve_render_order(*store_, *app, images::appc::discovery_fetcher(*store_, options));
  ASSERT_TRUE(order) << order.error().message();
  ASSERT_EQ(order->size(), 2U);
  EXPECT_EQ((*order)[0].manifest.name, "berth.test/busybox");
  auto stored = images::appc::find_aci(*store_, "berth.test/busybox", {});
  ASSERT_TRUE(stored && *stored) << "the discovered ACI is in the store";

  // Meta discovery: the page names a template on the same server.
  ASSERT_TRUE(write_file(
      served + "/meta/busybox",
      R"(<html><head><meta name="ac-discovery" content="berth.test/meta https://berth.test/files/{version}/{name}.{ext}"></head></html>)"));
  ASSERT_TRUE(mkdir_p(served + "/files/1.0.0/berth.test/meta", 0755));
  const std::string meta_aci = build_aci("meta", manifest_json("berth.test/meta/busybox", "1.0.0", ""), {}, true);
  ASSERT_TRUE(run_cmd({"cp", meta_aci, served + "/files/1.0.0/berth.test/meta/busybox.aci"}).ok());
  auto found = images::appc::discover_and_import(*store_, "berth.test/meta/busybox", {{"version", "1.0.0"}}, options);
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(found->manifest.name, "berth.test/meta/busybox");

  auto missing = images::appc::discover_and_import(*store_, "berth.test/none", {{"version", "1"}}, options);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("not found"), std::string::npos) << missing.error().message();
}

TEST_F(AppcImages, PlainHttpToANonLoopbackHostIsRefused) {
  const std::string served = tmp_.path() + "/www";
  ASSERT_TRUE(mkdir_p(served + "/plain", 0755));
  // The meta page (on loopback) sends the client to plain HTTP on another host.
  ASSERT_TRUE(write_file(served + "/plain/busybox",
                         R"(<meta name="ac-discovery" content="berth.test/plain http://berth.remote/{name}.{ext}">)"));
  LoopbackHttpd httpd(served);
  ASSERT_TRUE(httpd.running()) << "busybox httpd did not start on " << httpd.authority();
  images::appc::DiscoveryOptions options;
  options.host_aliases["berth.test"] = httpd.authority();
  options.host_aliases["berth.remote"] = "192.0.2.1:80";  // TEST-NET-1: must never be contacted
  options.http.timeout = std::chrono::seconds(5);
  auto r = images::appc::discover_and_import(*store_, "berth.test/plain/busybox", {{"version", "1"}}, options);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("plain HTTP to 192.0.2.1 is not allowed"), std::string::npos)
      << r.error().message();

  // Nor does a redirect from loopback lead there (a busybox httpd CGI answers 302).
  ASSERT_TRUE(mkdir_p(served + "/moved", 0755));
  ASSERT_TRUE(
      write_file(served + "/moved/busybox",
                 R"(<meta name="ac-discovery" content="berth.test/moved https://berth.test/cgi-bin/away?{name}">)"));
  ASSERT_TRUE(mkdir_p(served + "/cgi-bin", 0755));
  ASSERT_TRUE(write_file(served + "/cgi-bin/away",
                         "#!/bin/sh\nprintf 'HTTP/1.0 302 Found\\r\\nLocation: http://192.0.2.1/x.aci\\r\\n\\r\\n'\n"));
  ASSERT_EQ(::chmod((served + "/cgi-bin/away").c_str(), 0755), 0);
  auto moved = images::appc::discover_and_import(*store_, "berth.test/moved/busybox", {{"version", "1"}}, options);
  ASSERT_FALSE(moved);
  EXPECT_NE(
      moved.error().message().find("redirect to http://192.0.2.1:80/x.aci: plain HTTP to 192.0.2.1 is not allowed"),
      std::string::npos)
      << moved.error().message();
  EXPECT_EQ(blob_count(), 0U);
}

TEST_F(AppcImages, HostileAcisAreRefusedAndLeaveNothing) {
  using testing::TarBuilder;
  const std::string good_manifest = manifest_json("berth.test/hostile", "1.0.0", "");
  struct Case {
    std::string what;
    std::string tar;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"bad name", TarBuilder().file("manifest", manifest_json("Berth.Test/UPPER", "1", "")).dir("rootfs/").finish(),
       "name: \"Berth.Test/UPPER\" is not an AC identifier"},
      {"pod manifest",
       TarBuilder().file("manifest", R"({"acKind": "PodManifest", "acVersion": "0.8.11"})").dir("rootfs/").finish(),
       "acKind"},
      {"no manifest", TarBuilder().dir("rootfs/").file("rootfs/x", "x").finish(), "no \"manifest\""},
      {"dot-dot path",
       TarBuilder().file("manifest", good_manifest).dir("rootfs/").file("rootfs/../../etc/evil", "x").finish(), ".."},
      {"symlink out of rootfs",
       TarBuilder().file("manifest", good_manifest).dir("rootfs/").symlink("rootfs/evil", "../../etc").finish(),
       "climbs out of rootfs/"},
      {"hard link to the manifest",
       TarBuilder().file("manifest", good_manifest).dir("rootfs/").hardlink("rootfs/m", "manifest").finish(),
       "outside rootfs/"},
  };
  for (const Case& c : cases) {
    const std::string path = tmp_.path() + "/hostile.aci";
    ASSERT_TRUE(write_file(path, c.tar));
    auto r = import_aci_file(*store_, path);
    ASSERT_FALSE(r) << c.what;
    EXPECT_NE(r.error().message().find(c.expected), std::string::npos) << c.what << ": " << r.error().message();
    EXPECT_EQ(blob_count(), 0U) << c.what;
    EXPECT_EQ(record_count(), 0U) << c.what;
  }
}

}  // namespace
}  // namespace berth::integration
