// How fast a new client (a cashier) is answered while slow clients hold
// connections open: 300 connections that each send one more byte of an
// unfinished request head every second, against a real ApiServer on a real
// store in this process. Each measured request opens its own connection, as
// a cashier's browser or a POS would, and is timed from connect to the end
// of the response: GET /healthz, and POST /v1/consents (an opt-in, a
// durable store write).
//
// Scenarios: no slow clients; 300 slow clients with the default per-client
// limit (most are pushed out); 300 slow clients all held (per-client limit
// raised to 400). The target is p95 <= 100 ms in every scenario.
//
//   api_slow_clients_bench [--slow 300] [--requests 100] [--runs 3]
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/api_server.h"
#include "common/phone.h"
#include "store/store.h"
#include "tests/agent/api/raw_client.h"
#include "tests/test_util.h"

namespace {

using Clock = std::chrono::steady_clock;
using tillbridge::agent::testing::RawClient;

constexpr const char* kToken = "bench-token-0123456789abcdef";
constexpr double kTargetMs = 100.0;

struct Options {
  int slow = 300;
  int requests = 100;
  int runs = 3;
};

struct Scenario {
  std::string name;
  int slow = 0;
  std::size_t per_client = 32;
};

struct Stats {
  int requests = 0;
  int errors = 0;
  double median = 0, p95 = 0, max = 0;
};

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index =
      static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// Connections that keep an unfinished request head trickling in.
class SlowClients {
 public:
  SlowClients(std::uint16_t port, int count) {
    for (int i = 0; i < count; ++i) {
      try {
        clients_.push_back(std::make_unique<RawClient>(port));
        clients_.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      } catch (const Poco::Exception&) {
        // Refused or reset: the server is protecting itself.
      }
    }
    sender_ = std::thread([this] {
      while (!stop_.load()) {
        for (auto& client : clients_) {
          if (!client->send_failed()) client->Send("a");
        }
        for (int i = 0; i < 50 && !stop_.load(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  ~SlowClients() {
    stop_.store(true);
    sender_.join();
  }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  int Held() {
    int held = 0;
    for (auto& client : clients_) held += client->HasNews() ? 0 : 1;
    return held;
  }

 private:
  std::vector<std::unique_ptr<RawClient>> clients_;
  std::atomic<bool> stop_{false};
  std::thread sender_;
};

// One request on a new connection; the milliseconds it took, or a negative
// number when it failed or got another status than `expected`.
double Timed(std::uint16_t port, const std::string& request, int expected) {
  const auto start = Clock::now();
  try {
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(10, 0));
    socket.setNoDelay(true);
    socket.setReceiveTimeout(Poco::Timespan(10, 0));
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    std::string response;
    char buffer[8192];
    for (;;) {
      const int got = socket.receiveBytes(buffer, sizeof(buffer));
      if (got <= 0) break;
      response.append(buffer, static_cast<std::size_t>(got));
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (response.size() < 12 || std::atoi(response.c_str() + 9) != expected) return -1;
    return ms;
  } catch (const Poco::Exception&) {
    return -1;
  }
}

std::string OptInRequest(int n) {
  char phone[24];
  std::snprintf(phone, sizeof(phone), "41555%05d", 10000 + n % 90000);
  const std::string body = std::string(R"({"phone":")") + phone +
                           R"(","purpose":"marketing","granted":true,"method":"cashier_entry",)"
                           R"("disclosure_version":"1","cashier_id":"bench"})";
  return std::string("POST /v1/consents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n") +
         "Authorization: Bearer " + kToken +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

Stats Summarize(const std::vector<double>& samples) {
  Stats stats;
  std::vector<double> ok;
  for (const double sample : samples) {
    ++stats.requests;
    if (sample < 0) {
      ++stats.errors;
    } else {
      ok.push_back(sample);
    }
  }
  stats.median = Percentile(ok, 0.5);
  stats.p95 = Percentile(ok, 0.95);
  stats.max = ok.empty() ? 0 : *std::max_element(ok.begin(), ok.end());
  return stats;
}

Options Parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::max(1, std::atoi(argv[i + 1]));
    if (flag == "--slow") {
      options.slow = value;
    } else if (flag == "--requests") {
      options.requests = value;
    } else if (flag == "--runs") {
      options.runs = value;
    } else {
      std::cerr << "unknown option " << flag << "\n";
      std::exit(2);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tillbridge;
  const Options options = Parse(argc, argv);
  const std::vector<Scenario> scenarios = {
      {"no slow clients", 0, 32},
      {std::to_string(options.slow) + " slow, 32/client", options.slow, 32},
      {std::to_string(options.slow) + " slow, all held", options.slow,
       static_cast<std::size_t>(options.slow) + 100},
  };
  std::printf(
      "New-client latency while slow clients hold connections (one byte a second each); "
      "%d requests per route, scenario and run, %d runs; a new connection per request\n\n",
      options.requests, options.runs);
  std::printf(
      "| scenario              | route             | run    | held | requests | errors | median "
      "ms | p95 ms  | max ms  |\n");
  std::printf(
      "|-----------------------|-------------------|--------|------|----------|--------|-------"
      "----|---------|---------|\n");
  bool met = true;
  int sequence = 0;
  for (const Scenario& scenario : scenarios) {
    struct Route {
      std::string name;
      int expected;
      std::vector<Stats> runs;
    };
    std::vector<Route> routes = {{"GET /healthz", 200, {}}, {"POST /v1/consents", 201, {}}};
    std::vector<int> held_by_run;
    for (int run = 0; run < options.runs; ++run) {
      testing::TempDir dir;
      store::StoreOptions store_options;
      store_options.path = dir.File("bench.db");
      auto store = store::Store::Open(store_options);
      if (!store.ok()) {
        std::cerr << store.status().ToString() << "\n";
        return 1;
      }
      PhoneNormalizer phones("US");
      agent::ApiOptions api;
      api.port = 0;
      api.token = kToken;
      api.header_timeout = std::chrono::minutes(5);
      api.request_timeout = std::chrono::minutes(5);
      api.max_connections_per_client = scenario.per_client;
      api.max_connections = 1024;
      api.transactional_disclosure = {"Receipts by text.", "1 per purchase"};
      api.marketing_disclosure = {"Offers by text.", "4 per month"};
      auto server = agent::ApiServer::Start(api, **store, phones);
      if (!server.ok()) {
        std::cerr << server.status().ToString() << "\n";
        return 1;
      }
      const std::uint16_t port = (*server)->Port();
      {
        SlowClients slow(port, scenario.slow);
        std::this_thread::sleep_for(std::chrono::milliseconds(scenario.slow > 0 ? 1000 : 100));
        held_by_run.push_back(slow.Held());
        for (Route& route : routes) {
          std::vector<double> samples;
          for (int i = 0; i < options.requests; ++i) {
            const std::string request =
                route.expected == 200
                    ? std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    : OptInRequest(sequence++);
            samples.push_back(Timed(port, request, route.expected));
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
          route.runs.push_back(Summarize(samples));
        }
      }
      (*server)->Stop();
    }
    for (Route& route : routes) {
      for (int run = 0; run < options.runs; ++run) {
        const Stats& s = route.runs[static_cast<std::size_t>(run)];
        std::printf("| %-21s | %-17s | %-6d | %4d | %8d | %6d | %9.2f | %7.2f | %7.2f |\n",
                    scenario.name.c_str(), route.name.c_str(), run + 1,
                    held_by_run[static_cast<std::size_t>(run)], s.requests, s.errors, s.median,
                    s.p95, s.max);
      }
      std::vector<double> medians, p95s, maxes;
      int errors = 0;
      for (const Stats& s : route.runs) {
        medians.push_back(s.median);
        p95s.push_back(s.p95);
        maxes.push_back(s.max);
        errors += s.errors;
      }
      const double p95 = Percentile(p95s, 0.5);
      std::printf("| %-21s | %-17s | median | %4d | %8d | %6d | %9.2f | %7.2f | %7.2f |\n",
                  scenario.name.c_str(), route.name.c_str(),
                  static_cast<int>(
                      Percentile(std::vector<double>(held_by_run.begin(), held_by_run.end()), 0.5)),
                  options.requests * options.runs, errors, Percentile(medians, 0.5), p95,
                  Percentile(maxes, 0.5));
      met = met && errors == 0 && p95 <= kTargetMs;
    }
  }
  std::printf("\ntarget: every new request answered, p95 <= %.0f ms -> %s\n", kTargetMs,
              met ? "met" : "NOT met");
  return 0;
}
