// berth-oci: a runc-compatible OCI runtime command line over runtime/container.
#include <seccomp.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/oci/args.h"
#include "cli/oci/commands.h"
#include "common/log.h"

namespace {

const std::vector<berth::cli::FlagSpec> kGlobalFlags = {
    {"root", "", true},
    {"log", "", true},
    {"log-format", "", true},
    {"debug", "", false},
    {"systemd-cgroup", "", false},
    {"rootless", "", true},
    {"criu", "", true},
    {"help", "h", false},
    {"version", "v", false},
};

void print_version() {
  const scmp_version* v = seccomp_version();
  std::printf("berth-oci version %s\nspec: 1.2.0\nlibseccomp: %u.%u.%u\n", BERTH_VERSION, v->major, v->minor, v->micro);
}

berth::Status configure_logging(const berth::cli::ParsedArgs& g) {
  const std::string format = g.get("log-format", "text");
  if (format == "json") {
    berth::log::set_format(berth::log::Format::kJson);
  } else if (format != "text") {
    return berth::Error(EINVAL, "--log-format \"" + format + "\": want text or json");
  }
  berth::log::set_debug(g.flag("debug"));
  return berth::log::set_file(g.get("log"));
}

int fail(const berth::Error& e) {
  berth::log::error(e.message());
  return 1;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  size_t command_at = 0;
  auto globals = berth::cli::parse_args(args, 1, kGlobalFlags, true, &command_at);
  if (!globals) return fail(globals.error());
  if (auto st = configure_logging(*globals); !st) return fail(st.error());
  if (globals->flag("version")) {
    print_version();
    return 0;
  }
  if (globals->flag("help") || command_at >= args.size()) {
    std::fputs(berth::cli::usage_text().c_str(), command_at >= args.size() && !globals->flag("help") ? stderr : stdout);
    return globals->flag("help") ? 0 : 1;
  }
  berth::cli::Globals g;
  g.root = globals->get("root", g.root);
  g.systemd_cgroup = globals->flag("systemd-cgroup");
  auto code = berth::cli::run_command(g, args, command_at);
  if (!code) return fail(code.error());
  return *code;
}

}  // namespace

// berth's own code returns errors as Results; what can still throw is the standard library
// (std::bad_alloc). Say so and exit 1 rather than abort in std::terminate.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth-oci: %s\n", e.what());
  } catch (...) {
    std::fputs("berth-oci: unknown exception\n", stderr);
  }
  return 1;
}
