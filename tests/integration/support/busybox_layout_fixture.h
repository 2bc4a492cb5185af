// A content store in a fresh temp dir and the busybox OCI image layout that
// scripts/make-busybox-fixture.sh builds beside it (<dir>/layout, tag "latest"), for the
// import and export tests. Test code only.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "tests/integration/support/fixture.h"
#include "tests/unit/support/content_store_fixture.h"

namespace berth::integration {

class BusyboxLayoutFixture : public testing::ContentStoreFixture {
 protected:
  explicit BusyboxLayoutFixture(std::string_view prefix) : ContentStoreFixture(prefix) {}

  void SetUp() override {
    ContentStoreFixture::SetUp();
    if (HasFatalFailure()) return;
    layout_ = dir_.path("layout");
    RunResult r =
        run_cmd({"bash", fixture_script(), "image-layout", layout_, "--no-validate"}, {}, std::chrono::seconds(120));
    ASSERT_TRUE(r.ok()) << r;
  }

  std::string layout_;
};

}  // namespace berth::integration
