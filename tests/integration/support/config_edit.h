// Edits an integration test makes to its bundle's config.json before running the container:
// set or replace a member, args and cwd, mounts, namespaces. Each works on
// BundleFixture::config(); the test saves with save_config(). Test code only.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "tests/integration/support/fixture.h"

namespace berth::integration {

using JsonAllocator = rapidjson::Document::AllocatorType;

// A JSON array of the strings `items`.
rapidjson::Value string_array(const std::vector<std::string>& items, JsonAllocator& a);
// The strings of the JSON array `v` (other elements skipped; none when `v` is no array).
std::vector<std::string> strings_of(const rapidjson::Value& v);

// object[name] = value, adding the member when it is absent.
void set_member(rapidjson::Value& object, const char* name, rapidjson::Value value, JsonAllocator& a);
// config[section][name] = the JSON text `json` (a test failure when it does not parse).
void set_json(BundleFixture& fx, const char* section, const char* name, const std::string& json);

// process.args and process.cwd.
void set_args(BundleFixture& fx, const std::vector<std::string>& args);
void set_cwd(BundleFixture& fx, const std::string& cwd);

// Appends {destination, type, source, options} to mounts.
void add_mount(BundleFixture& fx, const std::string& destination, const std::string& type, const std::string& source,
               const std::vector<std::string>& options);
// Appends a read-write recursive bind mount of the host directory `source` at `destination`.
void add_bind_mount(BundleFixture& fx, const std::string& source, const std::string& destination);

// Removes the linux.namespaces entry of `type`, if there is one.
void remove_namespace(BundleFixture& fx, const std::string& type);
// Adds {"type": type} (with "path" when given) to linux.namespaces, replacing one of that type.
void set_namespace(BundleFixture& fx, const std::string& type, const std::string& path = {});

}  // namespace berth::integration
