#include "networking/cni/plugin_exec.h"

#include <unistd.h>

#include <future>

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>

#include "common/file.h"
#include "common/strings.h"

namespace berth::cni {

namespace bp = boost::process;

Result<std::string> find_plugin(const std::string& type, const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    const std::string path = path_join(dir, type);
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return Error(ENOENT, "CNI plugin \"" + type + "\" not found in " + join(dirs, ":"));
}

Result<PluginRun> run_plugin(const std::string& binary, const std::map<std::string, std::string>& env,
                             const std::string& stdin_data, std::chrono::milliseconds timeout) {
  try {
    boost::asio::io_context io;
    bp::environment environment = boost::this_process::environment();
    for (const auto& [name, value] : env) environment[name] = value;
    std::future<std::string> out;
    std::future<std::string> err;
    bp::async_pipe in(io);
    bp::child child(binary, environment, bp::std_in<in, bp::std_out> out, bp::std_err > err, io);
    boost::asio::async_write(in, boost::asio::buffer(stdin_data),
                             [&in](const boost::system::error_code&, size_t) { in.close(); });
    io.run_for(timeout);
    if (!io.stopped()) {
      child.terminate();
      return Error(ETIMEDOUT, "CNI plugin " + binary + ": no answer within " + std::to_string(timeout.count()) + " ms");
    }
    child.wait();
    PluginRun run;
    run.exit_code = child.exit_code();
    run.out = out.get();
    run.err = err.get();
    return run;
  } catch (const std::exception& e) {
    return Error(EIO, "run CNI plugin " + binary + ": " + e.what());
  }
}

}  // namespace berth::cni
