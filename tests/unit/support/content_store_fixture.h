// A test fixture that opens a content store in a fresh temp dir before each test, for the
// store's, the garbage collector's and the importers' tests. Test code only.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string_view>

#include "images/store/content_store.h"
#include "tests/unit/support/temp_dir.h"

namespace berth::testing {

class ContentStoreFixture : public ::testing::Test {
 protected:
  // `prefix` names the temp dir (/tmp/<prefix>XXXXXX); the store is <dir>/store.
  explicit ContentStoreFixture(std::string_view prefix) : dir_(prefix) {}

  // Subclasses that prepare more call this first and stop if HasFatalFailure().
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto store = images::ContentStore::open(dir_.path("store"));
    ASSERT_TRUE(store.ok()) << store.error().message();
    store_.emplace(std::move(store).value());
  }

  TempDir dir_;
  std::optional<images::ContentStore> store_;
};

}  // namespace berth::testing
