// ROI report speed on a busy store: 1,000,000 sales over two years, 100,000
// customers, ~200,000 SMS messages with coupons, redemptions, attributions
// and consent rows. The schema comes from Store::Open; the rows go in with
// plain SQL in one transaction (ingesting a million sales one by one would
// measure ingest, not the report). Times RoiReports::Compute over the last
// 90 days, the last year, and both years (every sale of the store).
//
//   roi_bench [--runs N] [--dir PATH] [--keep]
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/roi_report.h"
#include "store/store.h"

using namespace tillbridge;
using namespace tillbridge::store;

namespace {

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kSales = 1'000'000;
constexpr std::int64_t kPhones = 100'000;
constexpr std::int64_t kMessages = 200'000;
constexpr std::int64_t kCampaigns = 24;
// The data ends here (2026-12-01T00:00:00Z) and starts two years before.
constexpr UnixMillis kEnd = 1'796'083'200'000;
constexpr UnixMillis kStart = kEnd - 730 * kDay;
constexpr double kTargetMs = 2000;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "roi_bench: %s\n", what.c_str());
  std::exit(1);
}

void Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "?";
    sqlite3_free(error);
    Die(std::string(sql).substr(0, 60) + ": " + message);
  }
}

// A prepared insert bound by position, run once per row.
class Insert {
 public:
  Insert(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) Die(sqlite3_errmsg(db));
  }
  ~Insert() { sqlite3_finalize(stmt_); }
  Insert(const Insert&) = delete;
  Insert& operator=(const Insert&) = delete;

  Insert& Int(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Insert& Text(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Insert& Null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
  }
  void Run() {
    if (sqlite3_step(stmt_) != SQLITE_DONE) Die(sqlite3_errmsg(db_));
    sqlite3_reset(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

std::string Phone(std::int64_t n) { return "+1555" + std::to_string(1'000'000 + n); }

struct Message {
  std::string change_id;
  std::string phone;
  std::string campaign;
  std::string coupon;
  UnixMillis sent_at;
};

void Fill(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("cannot open " + path);
  Exec(db, "PRAGMA synchronous = OFF");
  Exec(db, "BEGIN");
  std::mt19937_64 random(42);
  auto below = [&](std::int64_t n) {
    return static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(n));
  };

  // Messages first, sorted by time, so sales can find the latest one to a
  // phone cheaply while they are generated.
  std::vector<Message> messages;
  messages.reserve(kMessages);
  for (std::int64_t i = 0; i < kMessages; ++i) {
    Message message;
    message.change_id = "chg_" + std::to_string(i);
    message.phone = Phone(below(kPhones));
    message.campaign = "cmp_" + std::to_string(below(kCampaigns));
    message.coupon = below(10) < 3 ? "CPN" + std::to_string(i) : "";
    message.sent_at = kStart + below(730 * kDay);
    messages.push_back(std::move(message));
  }
  std::sort(messages.begin(), messages.end(),
            [](const Message& a, const Message& b) { return a.sent_at < b.sent_at; });
  {
    Insert message(db,
                   "INSERT INTO sms_messages (change_id, phone, campaign, rule, purpose, "
                   "message_id, coupon_code, attributable, sent_at) "
                   "VALUES (?1, ?2, ?3, ?4, 'marketing', ?5, ?6, ?7, ?8)");
    Insert coupon(db,
                  "INSERT INTO coupons (code, phone, discount_percent, issued_at, updated_at) "
                  "VALUES (?1, ?2, 10, ?3, ?3)");
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const Message& m = messages[i];
      message.Text(1, m.change_id)
          .Text(2, m.phone)
          .Text(3, m.campaign)
          .Text(4, "rule_" + m.campaign.substr(4))
          .Text(5, "msg_" + std::to_string(i))
          .Text(6, m.coupon)
          .Int(7, below(20) == 0 ? 0 : 1)
          .Int(8, m.sent_at)
          .Run();
      if (!m.coupon.empty()) coupon.Text(1, m.coupon).Text(2, m.phone).Int(3, m.sent_at).Run();
    }
  }

  // Sales, spread evenly over two years; 70% name a customer. One in six
  // identified sales is credited to a message (a third of them through its
  // coupon); 3% of sales are refunded and 1% voided.
  Insert sale(db,
              "INSERT INTO transactions (source, pos_id, revision, kind, occurred_at, currency, "
              "subtotal_minor, tax_minor, total_minor, cashier, customer_phone, coupon_codes, "
              "payments, receipt_text, event_id, stored_at, refund_of) "
              "VALUES ('pos', ?1, ?2, ?3, ?4, ?5, ?6, 0, ?6, ?7, ?8, ?9, '[]', '', ?10, ?4, ?11)");
  Insert redemption(db,
                    "INSERT INTO coupon_redemptions (event_id, code, source, pos_id, phone, "
                    "issued_by_cloud, redeemed_at) VALUES (?1, ?2, 'pos', ?3, ?4, 1, ?5)");
  Insert attribution(db,
                     "INSERT INTO attributions (source, pos_id, phone, basis, message_change_id, "
                     "message_id, campaign, rule, message_at, coupon_code, sale_at, window_days, "
                     "attributed_at, reversed_at, reversed_by, reversal) "
                     "VALUES ('pos', ?1, ?2, ?3, ?4, '', ?5, '', ?6, ?7, ?8, 7, ?8, ?9, ?10, ?11)");
  const std::int64_t step = 730 * kDay / kSales;
  std::size_t next_message = 0;
  for (std::int64_t i = 0; i < kSales; ++i) {
    const UnixMillis at = kStart + i * step + below(step);
    while (next_message < messages.size() && messages[next_message].sent_at <= at) ++next_message;
    const std::string pos_id = std::to_string(100'000'000 + i);
    const bool identified = below(10) < 7;
    // A recent message's own phone, so the credited sales are plausible.
    std::string phone;
    const Message* credited = nullptr;
    if (identified && next_message > 0 && below(6) == 0) {
      credited = &messages[next_message - 1 -
                           static_cast<std::size_t>(below(std::min<std::int64_t>(
                               50, static_cast<std::int64_t>(next_message))))];
      phone = credited->phone;
    } else if (identified) {
      phone = Phone(below(kPhones));
    }
    const bool by_coupon = credited != nullptr && !credited->coupon.empty() && below(3) == 0;
    const std::int64_t total = 500 + below(9500);
    const int kind_roll = static_cast<int>(below(100));
    const std::string currency = below(1000) == 0 ? "CAD" : "USD";
    sale.Text(1, pos_id)
        .Int(2, 1)
        .Text(3, "sale")
        .Int(4, at)
        .Text(5, currency)
        .Int(6, total)
        .Text(7, "c-" + std::to_string(below(20)))
        .Text(8, phone)
        .Text(9, by_coupon ? "[\"" + credited->coupon + "\"]" : "[]")
        .Text(10, "evt" + pos_id)
        .Null(11)
        .Run();
    std::string reversal;
    UnixMillis reversed_at = 0;
    std::string reversed_by;
    if (kind_roll < 3) {
      reversal = "refund";
      reversed_at = at + kDay;
      reversed_by = std::to_string(900'000'000 + i);
      sale.Text(1, reversed_by)
          .Int(2, 1)
          .Text(3, "refund")
          .Int(4, reversed_at)
          .Text(5, currency)
          .Int(6, -total)
          .Text(7, "c-1")
          .Text(8, phone)
          .Text(9, "[]")
          .Text(10, "evt" + reversed_by)
          .Text(11, pos_id)
          .Run();
    } else if (kind_roll < 4) {
      reversal = "void";
      reversed_at = at + 60'000;
      reversed_by = pos_id;
      sale.Text(1, pos_id)
          .Int(2, 2)
          .Text(3, "void")
          .Int(4, reversed_at)
          .Text(5, currency)
          .Int(6, total)
          .Text(7, "c-1")
          .Text(8, phone)
          .Text(9, "[]")
          .Text(10, "evt-v" + pos_id)
          .Null(11)
          .Run();
    }
    if (by_coupon) {
      redemption.Text(1, "red" + pos_id)
          .Text(2, credited->coupon)
          .Text(3, pos_id)
          .Text(4, phone)
          .Int(5, at)
          .Run();
    }
    if (credited != nullptr) {
      attribution.Text(1, pos_id)
          .Text(2, phone)
          .Text(3, by_coupon ? "coupon" : "last_touch")
          .Text(4, credited->change_id)
          .Text(5, credited->campaign)
          .Int(6, credited->sent_at)
          .Text(7, by_coupon ? credited->coupon : "")
          .Int(8, at);
      if (reversal.empty()) {
        attribution.Null(9).Null(10).Null(11);
      } else {
        attribution.Int(9, reversed_at).Text(10, reversed_by).Text(11, reversal);
      }
      attribution.Run();
    }
  }

  // Consent: every customer opted in or out once or twice, most at the
  // counter by one of the cashiers.
  Insert ledger(db,
                "INSERT INTO consent_ledger (phone, purpose, state, previous_state, method, "
                "actor, store_id, terminal_id, occurred_at, recorded_at, disclosure_hash, "
                "detail, prev_hash, row_hash) VALUES (?1, ?2, ?3, 'none', ?4, ?5, 'store-1', "
                "'lane-1', ?6, ?6, '', '', '', '')");
  const char* methods[] = {"keypad", "customer_display", "cashier_entry", "paper_form",
                           "sms_keyword"};
  for (std::int64_t p = 0; p < kPhones; ++p) {
    const int rows = below(3) == 0 ? 2 : 1;
    for (int r = 0; r < rows; ++r) {
      const bool out = r == 1 && below(2) == 0;
      ledger.Text(1, Phone(p))
          .Text(2, below(5) == 0 ? "transactional" : "marketing")
          .Text(3, out ? "opted_out" : (below(10) == 0 ? "pending" : "opted_in"))
          .Text(4, out ? "sms_keyword" : methods[below(5)])
          .Text(5, "c-" + std::to_string(below(20)))
          .Int(6, kStart + below(730 * kDay))
          .Run();
    }
  }
  Exec(db, "COMMIT");
  // A running store's WAL stays small (SQLite checkpoints every 1000
  // pages); one bulk transaction leaves it at the size of the data, and
  // reads through it would measure that instead of the report.
  Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);
}

double Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::string dir = (std::filesystem::temp_directory_path() / "tillbridge-roi-bench").string();
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (std::strcmp(argv[i], "--keep") == 0) {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: roi_bench [--runs N] [--dir PATH] [--keep]\n");
      return 2;
    }
  }
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/tillbridge.db";
  const bool exists = keep && std::filesystem::exists(path);
  if (!exists) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  StoreOptions options;
  options.path = path;
  {
    auto created = Store::Open(options);
    if (!created.ok()) Die(created.status().ToString());
  }
  if (!exists) {
    const auto start = std::chrono::steady_clock::now();
    Fill(path);
    std::printf("filled %s in %.1f s\n", path.c_str(),
                Millis(std::chrono::steady_clock::now() - start) / 1000);
  }
  auto store = Store::Open(options);
  if (!store.ok()) Die(store.status().ToString());

  struct Range {
    const char* name;
    std::int64_t days;
    bool new_york = false;  // local days with daylight saving, else UTC
  };
  // New York's clock changes over the two years (UTC): the report reads
  // each stretch of one offset on its own.
  const std::vector<RoiQuery::OffsetChange> kNewYork = {{1'741'503'600'000, -240},
                                                        {1'762'063'200'000, -300},
                                                        {1'772'953'200'000, -240},
                                                        {1'793'512'800'000, -300}};
  std::printf("\n%-11s %8s %8s %8s %8s  %s\n", "range", "sales", "median", "min", "max", "target");
  bool all_met = true;
  for (const Range range : {Range{"90 days", 90}, Range{"1 year", 365}, Range{"2 years", 731},
                            Range{"2 years NY", 731, true}}) {
    RoiQuery query;
    query.from = kEnd - range.days * kDay;
    query.to = kEnd;
    if (range.new_york) {
      query.from += 5 * 3'600'000;  // midnight EST
      query.to += 5 * 3'600'000;
      query.utc_offset_minutes = -300;
      query.offset_changes = kNewYork;
    }
    std::vector<double> times;
    std::int64_t sales = 0;
    for (int run = 0; run < runs; ++run) {
      const auto start = std::chrono::steady_clock::now();
      auto report = (*store)->roi_reports().Compute(query);
      times.push_back(Millis(std::chrono::steady_clock::now() - start));
      if (!report.ok()) Die(report.status().ToString());
      sales = report->sales;
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    all_met = all_met && median < kTargetMs;
    std::printf("%-11s %8lld %8.0f %8.0f %8.0f  < %.0f ms %s\n", range.name,
                static_cast<long long>(sales), median, times.front(), times.back(), kTargetMs,
                median < kTargetMs ? "ok" : "MISSED");
  }
  return all_met ? 0 : 1;
}
