// The local HTTP server: serves the REST API under /v1, the cashier page at
// /, the manager page and ROI report under /manager, GET /healthz and
// GET /metrics on 127.0.0.1 (by default).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agent/api/api_options.h"
#include "common/phone.h"
#include "common/status.h"
#include "store/store.h"

namespace tillbridge::agent {

// Runs on its own threads from Start until Stop. `store` and `phones` must
// outlive the server. Thread-safe.
class ApiServer {
 public:
  // Loads (or creates) the token unless options.token is set, installs the
  // default disclosures when none are installed, binds and starts serving.
  // Unavailable when the address cannot be bound (names address and why).
  static Result<std::unique_ptr<ApiServer>> Start(const ApiOptions& options, store::Store& store,
                                                  const PhoneNormalizer& phones);
  // Stops (see Stop).
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Stops accepting, lets requests in progress finish, closes idle
  // connections and joins the threads; returns within about a second.
  // Safe to call more than once.
  void Stop();

  // "http://127.0.0.1:8787" (with the port actually bound).
  std::string BaseUrl() const;
  // The bound port (useful when options.port was 0).
  std::uint16_t Port() const;
  // A fresh one-time link that signs the cashier page in.
  std::string LaunchUrl() const;

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tillbridge::agent
