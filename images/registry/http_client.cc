#include "images/registry/http_client.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <limits>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/strings.h"

namespace berth::registry {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using Tcp = net::ip::tcp;

constexpr size_t kKeptBodyBytes = 1 << 20;
// Beast reads as much as its buffer has room for, and a fresh buffer has room for 512
// bytes: without this a layer took one recv(2) per 512 bytes.
constexpr size_t kReadBytes = size_t{256} << 10;

// Blocking socket operations time out through the kernel (Beast's own timeouts are for
// asynchronous operations only).
void set_timeouts(int fd, std::chrono::seconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string host_header(const Url& u) {
  const bool default_port = (u.scheme == "http" && u.port == "80") || (u.scheme == "https" && u.port == "443");
  const bool v6 = u.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + u.host + "]" : u.host;
  return default_port ? host : host + ":" + u.port;
}

template <class Stream>
Result<HttpResponse> exchange(Stream& stream, const HttpRequest& r, const BodySink& sink) {
  http::request<http::empty_body> req{http::string_to_verb(r.method), r.url.target, 11};
  req.set(http::field::host, host_header(r.url));
  req.set(http::field::user_agent, "berth/" BERTH_VERSION);
  for (const auto& [name, value] : r.headers) req.set(name, value);
  http::write(stream, req);

  beast::flat_buffer buffer;
  buffer.reserve(kReadBytes);
  http::response_parser<http::buffer_body> parser;
  // Layers are large; the sink and the digest decide what is acceptable.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (r.method == "HEAD") parser.skip(true);
  http::read_header(stream, buffer, parser);
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.url = r.url;
  for (const auto& field : parser.get()) {
    auto& slot = out.headers[ascii_lower(std::string_view(field.name_string().data(), field.name_string().size()))];
    if (!slot.empty()) slot += ", ";
    slot.append(field.value().data(), field.value().size());
  }
  const bool to_sink = sink && out.status / 100 == 2;
  std::vector<char> chunk(kReadBytes);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    boost::system::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) throw boost::system::system_error(ec);
    const size_t n = chunk.size() - parser.get().body().size;
    if (n == 0) continue;
    if (to_sink) {
      BERTH_TRY(sink(std::string_view(chunk.data(), n)));
    } else if (out.body.size() < kKeptBodyBytes) {
      out.body.append(chunk.data(), n);
    }
  }
  return out;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Result<HttpResponse> HttpClient::send_once(const HttpRequest& r, const BodySink& sink) const {
  const std::string what = r.method + " " + r.url.str();
  try {
    net::io_context io;
    Tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(r.url.host, r.url.port);
    if (r.url.scheme == "http") {
      Tcp::socket socket(io);
      net::connect(socket, endpoints);
      set_timeouts(socket.native_handle(), options_.timeout);
      return exchange(socket, r, sink);
    }
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(options_.verify_tls ? ssl::verify_peer : ssl::verify_none);
    ssl::stream<Tcp::socket> stream(io, ctx);
    if (options_.verify_tls) stream.set_verify_callback(ssl::host_name_verification(r.url.host));
    if (SSL_set_tlsext_host_name(stream.native_handle(), r.url.host.c_str()) != 1) {
      return Error(EIO, what + ": cannot set the TLS server name");
    }
    net::connect(stream.lowest_layer(), endpoints);
    set_timeouts(stream.lowest_layer().native_handle(), options_.timeout);
    stream.handshake(ssl::stream_base::client);
    return exchange(stream, r, sink);
  } catch (const boost::system::system_error& e) {
    // Keep errno values (connection refused, timed out); Beast's own codes become EIO.
    const bool errno_code = e.code().category() == boost::system::system_category() ||
                            e.code().category() == boost::system::generic_category();
    return Error(errno_code && e.code().value() != 0 ? e.code().value() : EIO, what + ": " + e.code().message());
  } catch (const std::exception& e) {
    return Error(EIO, what + ": " + e.what());
  }
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request, const BodySink& sink) const {
  HttpRequest r = request;
  for (int hop = 0;; ++hop) {
    BERTH_ASSIGN(auto response, send_once(r, sink));
    if (!is_redirect(response.status)) return response;
    if (hop >= options_.max_redirects)
      return Error(ELOOP, request.method + " " + request.url.str() + ": too many redirects");
    const std::string location = response.header("location");
    if (location.empty()) return Error(EPROTO, r.method + " " + r.url.str() + ": redirect without a Location");
    BERTH_ASSIGN(auto next, r.url.resolve(location));
    if (options_.check_redirect) {
      BERTH_TRY(options_.check_redirect(next).context("redirect to " + next.str()));
    }
    if (next.host_port() != r.url.host_port()) {
      // A blob store elsewhere (S3, a CDN) must not see the registry's credentials.
      std::erase_if(r.headers, [](const auto& h) { return ascii_lower(h.first) == "authorization"; });
    }
    r.url = std::move(next);
  }
}

}  // namespace berth::registry
