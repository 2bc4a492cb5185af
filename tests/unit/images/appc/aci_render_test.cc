#include "images/appc/aci_render.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <string>

#include "common/file.h"
#include "tests/unit/support/content_store_fixture.h"
#include "tests/unit/support/tar_builder.h"

namespace berth::images::appc {
namespace {

using berth::testing::TarBuilder;

// `deps` is the JSON text of the dependencies list.
std::string aci(const std::string& name, const std::string& deps) {
  std::string manifest = R"({"acKind": "ImageManifest", "acVersion": "0.8.11", "name": ")" + name +
                         R"(", "labels": [{"name": "version", "value": "1"}], "dependencies": [)" + deps + "]}";
  return TarBuilder().file("manifest", manifest).dir("rootfs/").file("rootfs/" + name.substr(11), name).finish();
}

std::string by_name(const std::string& name) { return R"({"imageName": ")" + name + R"("})"; }

class AciRender : public testing::ContentStoreFixture {
 protected:
  AciRender() : ContentStoreFixture("berth-appc-render-") {}

  Result<AciImage> add(const std::string& name, const std::string& deps) {
    UniqueFd fd(::memfd_create("aci", MFD_CLOEXEC));
    BERTH_TRY(write_all(fd.get(), aci(name, deps), "aci"));
    return import_aci(*store_, fd.get(), name);
  }

  std::vector<std::string> names(const std::vector<AciImage>& order) {
    std::vector<std::string> out;
    out.reserve(order.size());
    for (const auto& image : order) out.push_back(image.manifest.name);
    return out;
  }
};

TEST_F(AciRender, DiamondDependenciesArePlacedOnceDependenciesFirst) {
  ASSERT_TRUE(add("berth.test/base", ""));
  ASSERT_TRUE(add("berth.test/left", by_name("berth.test/base")));
  ASSERT_TRUE(add("berth.test/right", by_name("berth.test/base")));
  auto top = add("berth.test/top", by_name("berth.test/left") + "," + by_name("berth.test/right"));
  ASSERT_TRUE(top) << top.error().message();
  auto order = resolve_render_order(*store_, *top);
  ASSERT_TRUE(order) << order.error().message();
  EXPECT_EQ(names(*order),
            (std::vector<std::string>{"berth.test/base", "berth.test/left", "berth.test/right", "berth.test/top"}));
  ASSERT_EQ(order->size(), 4U);
  EXPECT_EQ(layer_source(*store_, (*order)[0]).root_prefix, "rootfs");
  EXPECT_NE(layer_source(*store_, (*order)[0]).chain_id, layer_source(*store_, (*order)[1]).chain_id);
}

TEST_F(AciRender, DependencyCyclesByNameAreRefused) {
  ASSERT_TRUE(add("berth.test/ping", by_name("berth.test/pong")));
  auto pong = add("berth.test/pong", by_name("berth.test/ping"));
  ASSERT_TRUE(pong) << pong.error().message();
  auto order = resolve_render_order(*store_, *pong);
  ASSERT_FALSE(order);
  EXPECT_EQ(order.error().code(), ELOOP) << order.error().message();
}

TEST_F(AciRender, ADependencyWhoseIdDiffersFromTheOneAskedForIsNotUsed) {
  auto base = add("berth.test/base", "");
  ASSERT_TRUE(base) << base.error().message();
  const std::string other_id = "sha512-" + std::string(128, 'a');
  auto top = add("berth.test/top", R"({"imageName": "berth.test/base", "imageID": ")" + other_id + R"("})");
  ASSERT_TRUE(top) << top.error().message();
  auto order = resolve_render_order(*store_, *top);
  ASSERT_FALSE(order);
  EXPECT_NE(order.error().message().find("not in the store"), std::string::npos) << order.error().message();
}

TEST_F(AciRender, LabelsThatDoNotMatchLeaveTheDependencyUnresolved) {
  ASSERT_TRUE(add("berth.test/base", ""));
  auto top =
      add("berth.test/top", R"({"imageName": "berth.test/base", "labels": [{"name": "version", "value": "2"}]})");
  ASSERT_TRUE(top) << top.error().message();
  auto order = resolve_render_order(*store_, *top);
  ASSERT_FALSE(order);
  EXPECT_NE(order.error().message().find("dependencies[0] \"berth.test/base\""), std::string::npos)
      << order.error().message();
}

}  // namespace
}  // namespace berth::images::appc
