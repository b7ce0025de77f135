// Store ingest throughput: one SQLite transaction per ingest (every commit
// fsynced: WAL + synchronous=FULL) against batched ingests. Prints a table
// of medians over several runs.
//
//   store_bench [--runs N] [--dir PATH]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.h"
#include "store/transaction_log.h"

using namespace tillbridge;
using namespace tillbridge::store;

namespace {

Transaction Sale(long n) {
  Transaction txn;
  txn.source = "bench";
  txn.pos_id = std::to_string(n);
  txn.occurred_at = 1'795'953'600'000 + n;
  txn.total_minor = 1000 + n % 500;
  txn.subtotal_minor = txn.total_minor - 80;
  txn.tax_minor = 80;
  txn.customer_phone = n % 3 == 0 ? "+1415555" + std::to_string(1000 + n % 9000) : "";
  for (int i = 0; i < 3; ++i) {
    txn.lines.push_back({"SKU-" + std::to_string(i), "Item " + std::to_string(i), 1000, 300, 300});
  }
  txn.payments.push_back({"card", txn.total_minor});
  return txn;
}

// Returns ingests per second for `count` records in batches of `batch`.
double Run(const std::string& dir, long count, long batch) {
  const std::string path = dir + "/bench.db";
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  StoreOptions options;
  options.path = path;
  auto store = Store::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<std::vector<Transaction>> batches;
  for (long n = 0; n < count; n += batch) {
    std::vector<Transaction> records;
    for (long i = n; i < std::min(count, n + batch); ++i) records.push_back(Sale(i));
    batches.push_back(std::move(records));
  }
  const auto start = std::chrono::steady_clock::now();
  long cursor = 0;
  for (const auto& records : batches) {
    cursor += static_cast<long>(records.size());
    Status status = (*store)->transactions().Ingest("bench", records, std::to_string(cursor));
    if (!status.ok()) {
      std::fprintf(stderr, "ingest: %s\n", status.ToString().c_str());
      std::exit(1);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(count) / seconds;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::string dir = std::filesystem::temp_directory_path() / "tillbridge-store-bench";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else {
      std::printf("usage: store_bench [--runs N] [--dir PATH]\n");
      return 2;
    }
  }
  std::filesystem::create_directories(dir);
  struct Case {
    const char* name;
    long count;
    long batch;
  };
  const Case cases[] = {{"1 ingest per transaction", 2000, 1},
                        {"batches of 10", 20000, 10},
                        {"batches of 100", 50000, 100},
                        {"batches of 1000", 100000, 1000}};
  std::printf("store ingest benchmark (WAL, synchronous=FULL), %d runs each, dir %s\n\n", runs,
              dir.c_str());
  std::printf("| %-26s | %9s | %14s | %14s | %14s |\n", "case", "records", "median rec/s",
              "min rec/s", "max rec/s");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(28, '-').c_str(), std::string(11, '-').c_str(),
              std::string(16, '-').c_str(), std::string(16, '-').c_str(),
              std::string(16, '-').c_str());
  for (const Case& c : cases) {
    std::vector<double> rates;
    for (int r = 0; r < runs; ++r) rates.push_back(Run(dir, c.count, c.batch));
    std::printf("| %-26s | %9ld | %14.0f | %14.0f | %14.0f |\n", c.name, c.count, Median(rates),
                *std::min_element(rates.begin(), rates.end()),
                *std::max_element(rates.begin(), rates.end()));
  }
  std::filesystem::remove_all(dir);
  return 0;
}
