// Latency of GET /v1/consents/{phone} at a fixed request rate, against a
// real ApiServer on a real store (in this process), or against a running
// agent (--url, --token).
//
// The client is open-loop: request i is due at start + i/rate, whatever
// happened before, and its latency is measured from when it was due (so a
// stall shows up in every request it delays, not just one). Requests are
// spread over a few keep-alive connections.
//
//   api_bench [--rate 1000] [--seconds 10] [--runs 3] [--connections 4]
//             [--phones 1000] [--url http://127.0.0.1:8787 --token TOKEN]
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "agent/api/api_server.h"
#include "common/phone.h"
#include "store/consent_ledger.h"
#include "store/store.h"
#include "tests/test_util.h"

namespace {

using Clock = std::chrono::steady_clock;
using tillbridge::Status;

struct Options {
  int rate = 1000;
  int seconds = 10;
  int runs = 3;
  int connections = 4;
  int phones = 1000;
  std::string url;
  std::string token;
};

struct Sample {
  double latency_ms = 0;  // from when the request was due
  double service_ms = 0;  // from when it was sent
  bool ok = false;
};

struct RunResult {
  std::size_t requests = 0;
  std::size_t errors = 0;
  double achieved_rate = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  double service_p99 = 0;
};

double Percentile(std::vector<double>& values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index =
      static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// Reads one HTTP/1.1 response with a Content-Length body; returns the status.
int ReadResponse(Poco::Net::StreamSocket& socket, std::string& buffer) {
  buffer.clear();
  char chunk[4096];
  std::size_t header_end = std::string::npos;
  while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const int got = socket.receiveBytes(chunk, sizeof(chunk));
    if (got <= 0) return -1;
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
  std::size_t length = 0;
  const auto at = buffer.find("Content-Length: ");
  if (at != std::string::npos && at < header_end)
    length = std::strtoul(buffer.c_str() + at + 16, nullptr, 10);
  while (buffer.size() < header_end + 4 + length) {
    const int got = socket.receiveBytes(chunk, sizeof(chunk));
    if (got <= 0) return -1;
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
  if (buffer.size() < 12) return -1;
  return std::atoi(buffer.c_str() + 9);
}

RunResult Run(const Options& options, const std::string& host, std::uint16_t port,
              const std::vector<std::string>& paths) {
  const std::size_t total = static_cast<std::size_t>(options.rate) * options.seconds;
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / options.rate);
  std::vector<Sample> samples(total);
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  std::vector<std::thread> threads;
  for (int c = 0; c < options.connections; ++c) {
    threads.emplace_back([&, c] {
#ifdef __linux__
      // The default 50 us timer slack would be measured as server latency.
      prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
      Poco::Net::StreamSocket socket;
      socket.connect(Poco::Net::SocketAddress(host, port));
      socket.setNoDelay(true);
      socket.setReceiveTimeout(Poco::Timespan(5, 0));
      std::string buffer;
      for (std::size_t i = static_cast<std::size_t>(c); i < total;
           i += static_cast<std::size_t>(options.connections)) {
        const auto due = start + interval * static_cast<long>(i);
        std::this_thread::sleep_until(due);
        std::string request = "GET ";
        request.append(paths[i % paths.size()]).append(" HTTP/1.1\r\nHost: ").append(host);
        request.append("\r\nAuthorization: Bearer ").append(options.token).append("\r\n\r\n");
        const auto sent = Clock::now();
        int status = -1;
        try {
          socket.sendBytes(request.data(), static_cast<int>(request.size()));
          status = ReadResponse(socket, buffer);
        } catch (const Poco::Exception&) {
          socket = Poco::Net::StreamSocket();
          socket.connect(Poco::Net::SocketAddress(host, port));
        }
        const auto done = Clock::now();
        Sample& sample = samples[i];
        sample.latency_ms = std::chrono::duration<double, std::milli>(done - due).count();
        sample.service_ms = std::chrono::duration<double, std::milli>(done - sent).count();
        sample.ok = status == 200 && buffer.find("\"consents\"") != std::string::npos;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  RunResult result;
  result.requests = total;
  std::vector<double> latency;
  std::vector<double> service;
  for (const Sample& sample : samples) {
    result.errors += sample.ok ? 0 : 1;
    latency.push_back(sample.latency_ms);
    service.push_back(sample.service_ms);
  }
  result.achieved_rate = static_cast<double>(total) / elapsed;
  result.p50 = Percentile(latency, 0.50);
  result.p90 = Percentile(latency, 0.90);
  result.p99 = Percentile(latency, 0.99);
  result.p999 = Percentile(latency, 0.999);
  result.max = latency.empty() ? 0 : *std::max_element(latency.begin(), latency.end());
  result.service_p99 = Percentile(service, 0.99);
  return result;
}

void PrintRow(const std::string& label, const RunResult& r) {
  std::printf("| %-6s | %8zu | %7.0f | %6zu | %7.3f | %7.3f | %7.3f | %7.3f | %7.3f | %11.3f |\n",
              label.c_str(), r.requests, r.achieved_rate, r.errors, r.p50, r.p90, r.p99, r.p999,
              r.max, r.service_p99);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Options Parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--rate")
      options.rate = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--seconds")
      options.seconds = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--runs")
      options.runs = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--connections")
      options.connections = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--phones")
      options.phones = std::clamp(std::atoi(value.c_str()), 1, 10000);
    else if (flag == "--url")
      options.url = value;
    else if (flag == "--token")
      options.token = value;
    else {
      std::cerr << "unknown option " << flag << "\n";
      std::exit(2);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tillbridge;
  const Options parsed = Parse(argc, argv);
  Options options = parsed;
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<agent::ApiServer> server;
  PhoneNormalizer phones("US");
  std::vector<std::string> paths;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;

  for (int n = 0; n < options.phones; ++n) {
    char local[16];
    std::snprintf(local, sizeof(local), "41555%05d", 10000 + n % 90000);
    auto e164 = phones.Normalize(local);
    if (!e164.ok()) continue;
    // Appending, not operator+ on a literal: gcc 12 -O3 warns falsely there.
    std::string path = "/v1/consents/%2B";
    path.append(*e164, 1);
    paths.push_back(std::move(path));
  }
  if (options.url.empty()) {
    store::StoreOptions store_options;
    store_options.path = dir.File("bench.db");
    auto opened = store::Store::Open(store_options);
    if (!opened.ok()) {
      std::cerr << opened.status().ToString() << "\n";
      return 1;
    }
    store = std::move(opened).value();
    for (std::size_t n = 0; n < paths.size(); ++n) {
      store::ConsentChange change;
      change.phone = "+";
      change.phone.append(paths[n], paths[n].rfind("%2B") + 3);
      change.purpose =
          n % 2 ? store::ConsentPurpose::kMarketing : store::ConsentPurpose::kTransactional;
      change.granted = true;
      change.method = "keypad";
      change.actor = "bench";
      change.occurred_at = 1'795'953'600'000;
      if (!store->consents().Record(change).ok()) return 1;
    }
    agent::ApiOptions api;
    api.port = 0;
    api.token = "bench-token-0123456789abcdef";
    api.transactional_disclosure = {"Receipts by text.", "1 per purchase"};
    api.marketing_disclosure = {"Offers by text.", "4 per month"};
    auto started = agent::ApiServer::Start(api, *store, phones);
    if (!started.ok()) {
      std::cerr << started.status().ToString() << "\n";
      return 1;
    }
    server = std::move(started).value();
    port = server->Port();
    options.token = api.token;
  } else {
    Poco::URI uri(options.url);
    host = uri.getHost();
    port = uri.getPort();
  }

  std::printf(
      "GET /v1/consents/{phone}: %d req/s for %d s x %d runs, %d keep-alive connections, "
      "%zu phones, server %s\n\n",
      options.rate, options.seconds, options.runs, options.connections, paths.size(),
      options.url.empty() ? "in-process (real store)" : options.url.c_str());
  std::printf(
      "| run    | requests | req/s   | errors | p50 ms  | p90 ms  | p99 ms  | p99.9ms | max ms  | "
      "svc p99 ms  |\n");
  std::printf(
      "|--------|----------|---------|--------|---------|---------|---------|---------|---------|--"
      "-----------|\n");
  std::vector<RunResult> results;
  for (int run = 0; run < options.runs; ++run) {
    results.push_back(Run(options, host, port, paths));
    PrintRow(std::to_string(run + 1), results.back());
  }
  RunResult median;
  const auto pick = [&](double RunResult::*field) {
    std::vector<double> values;
    for (const auto& r : results) values.push_back(r.*field);
    return Median(values);
  };
  std::vector<double> errors;
  for (const auto& r : results) errors.push_back(static_cast<double>(r.errors));
  median.requests = results.front().requests;
  median.errors = static_cast<std::size_t>(Median(errors));
  median.achieved_rate = pick(&RunResult::achieved_rate);
  median.p50 = pick(&RunResult::p50);
  median.p90 = pick(&RunResult::p90);
  median.p99 = pick(&RunResult::p99);
  median.p999 = pick(&RunResult::p999);
  median.max = pick(&RunResult::max);
  median.service_p99 = pick(&RunResult::service_p99);
  PrintRow("median", median);
  std::printf("\ntarget: p99 <= 2 ms at 1000 req/s -> %s\n", median.p99 <= 2.0 ? "met" : "NOT met");
  if (server) server->Stop();
  return 0;
}
