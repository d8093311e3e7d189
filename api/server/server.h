// Server: the asynchronous HTTP/1.1 server (Boost.Beast), as in Beast 1.74's
// example/http/server/async: an acceptor, a pool of io threads, one session per
// connection on its own strand.
//
// Each session reads one request at a time with a fresh parser bounded by the header
// and body limits (431 / 413 with a problem body when exceeded), hands it to the
// Handler, writes the response on its strand and, for keep-alive, reads the next one.
// Reads time out (slow or idle clients are closed). Beyond the connection cap, or the
// per-address cap, new connections get 503 and are closed.
//
// Stop() drains: it stops accepting, answers every request already handed to the
// handler (so a submission that is committed is always answered to its client) before
// closing its connection, and answers requests that arrive meanwhile with 503 and
// Retry-After without handing them to the handler; then it joins the threads.
//
// With a certificate and key (ServerOptions::tls_cert_file / tls_key_file) it serves
// HTTPS instead, as Beast 1.74's example/http/server/async-ssl: TLS 1.2 or later only,
// a handshake (bounded by the read timeout) before the same request loop, and a TLS
// close_notify when the server closes.
//
// Thread-safety: Start/Stop from one controlling thread; the handler runs on io threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/server/http_types.h"
#include "ledger/base/status.h"

namespace ipledger::api {

struct ServerOptions {
  // Address to listen on. Default: 127.0.0.1.
  std::string host = "127.0.0.1";
  // Port; 0 picks a free one (see Server::port()). Default: 0.
  std::uint16_t port = 0;
  // I/O threads. Default: 2.
  int io_threads = 2;
  // Largest request body (a DSSE envelope). Default: 64 KiB (api.md §2).
  std::size_t max_body_bytes = 64 * 1024;
  // Largest request header block. Default: 8 KiB.
  std::size_t max_header_bytes = 8 * 1024;
  // Most simultaneous connections. Default: 512.
  int max_connections = 512;
  // Most simultaneous connections from one peer address; beyond it new connections
  // from that address get 503 and are closed while other addresses are still served.
  // 0: no per-address cap. Default: 64.
  int max_connections_per_address = 64;
  // How long Stop() waits for requests already handed to the handler (a submission
  // waiting for its batch to be durable) to be answered. Default: 30 s.
  std::chrono::milliseconds drain_timeout{30000};
  // Time allowed to receive one whole request, and to wait for the next one on a
  // keep-alive connection. Default: 15 s.
  std::chrono::milliseconds read_timeout{15000};
  // Time allowed to write a response. Default: 15 s.
  std::chrono::milliseconds write_timeout{15000};
  // PEM certificate chain and private key files for HTTPS; both or neither. Read once
  // by Start. Default: empty (plain HTTP).
  std::string tls_cert_file;
  std::string tls_key_file;
};

class Server {
 public:
  // Binds, listens and starts the io threads. kUnavailable if the address cannot be
  // bound (e.g. the port is in use); kInvalidArgument on a bad host, on only one of
  // tls_cert_file / tls_key_file, or on a TLS file that cannot be loaded (naming it).
  static StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler handler);

  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port actually bound.
  std::uint16_t port() const;
  // Connections currently open.
  int connections() const;
  // Stops accepting, waits (up to drain_timeout) until every request handed to the
  // handler has been answered, closes the connections, joins.
  void Stop();

  struct Rep;  // server.cc: shared by the acceptor and the sessions

 private:
  explicit Server(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ipledger::api
