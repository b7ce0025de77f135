// A stand-in for the agent's source loop, as its own process so tests can
// kill it with SIGKILL at any moment: Poll, then TransactionLog::Ingest with
// the batch's cursor, with backoff on errors, until the store holds
// --expect records.
//
//   sql_source_runner --config pos.conf --store store.db --expect 10000
//
// pos.conf holds "pos.key = value" lines (the agent's [pos] section).
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "common/clock.h"
#include "common/phone.h"
#include "drivers/sql/sql_source.h"
#include "store/store.h"
#include "store/transaction_log.h"

using namespace tillbridge;

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  if (!args.count("--config") || !args.count("--store") || !args.count("--expect")) {
    std::cerr << "usage: sql_source_runner --config FILE --store FILE --expect N [--timeout-s S]\n";
    return 2;
  }
  std::map<std::string, std::string> values;
  std::ifstream config(args["--config"]);
  for (std::string line; std::getline(config, line);) {
    const size_t equals = line.find('=');
    if (line.empty() || line[0] == '#' || equals == std::string::npos) continue;
    auto trim = [](std::string text) {
      text.erase(0, text.find_first_not_of(" \t"));
      text.erase(text.find_last_not_of(" \t\r") + 1);
      return text;
    };
    values[trim(line.substr(0, equals))] = trim(line.substr(equals + 1));
  }
  auto options = drivers::SqlSourceOptionsFrom(ConfigValues(values), ".");
  if (!options.ok()) {
    std::cerr << "runner: " << options.status().ToString() << "\n";
    return 2;
  }
  store::StoreOptions store_options;
  store_options.path = args["--store"];
  store_options.store_id = "store-test";
  auto store = store::Store::Open(store_options);
  if (!store.ok()) {
    std::cerr << "runner: " << store.status().ToString() << "\n";
    return 1;
  }
  PhoneNormalizer phone("US");
  auto source = drivers::MakeSqlSource(*options, phone, SystemClock::Instance());
  if (!source.ok()) {
    std::cerr << "runner: " << source.status().ToString() << "\n";
    return 2;
  }
  const long long expect = std::stoll(args["--expect"]);
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::seconds(args.count("--timeout-s") ? std::stoi(args["--timeout-s"]) : 100);
  auto backoff = std::chrono::milliseconds(50);
  (void)(*source)->Open();  // a failure here is retried by Poll
  for (;;) {
    auto count = (*store)->transactions().Count();
    if (count.ok() && *count >= expect) {
      std::cout << "runner: " << *count << " records stored\n";
      return 0;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "runner: timed out with " << (count.ok() ? *count : -1) << " records\n";
      return 1;
    }
    auto cursor = (*store)->transactions().Cursor((*source)->Name());
    if (!cursor.ok()) return 1;
    auto batch = (*source)->Poll(cursor->value_or(""), std::chrono::milliseconds(200));
    Status status = batch.ok() ? (*store)->transactions().Ingest((*source)->Name(), batch->records,
                                                                 batch->cursor)
                               : batch.status();
    if (!status.ok()) {
      std::cerr << "runner: " << status.ToString() << "\n";
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      continue;
    }
    backoff = std::chrono::milliseconds(50);
  }
}
