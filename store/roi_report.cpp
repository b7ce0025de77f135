#include "store/roi_report.h"

#include <algorithm>
#include <future>
#include <map>
#include <memory>
#include <system_error>
#include <thread>
#include <utility>

#include "common/currency.h"
#include "store/sqlite_db.h"
#include "store/store_core.h"

namespace tillbridge::store {
namespace {

constexpr std::int64_t kDayMillis = 86'400'000;
// A trend of more days than this is not a report anyone reads; the cap
// keeps a mistyped year from allocating millions of points.
constexpr std::int64_t kMaxDays = 3700;

// n / d rounded to the nearest integer, halves away from zero; d > 0.
std::int64_t RoundedDivide(std::int64_t n, std::int64_t d) {
  return n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d);
}

std::int64_t CostMinor(std::int64_t messages, std::int64_t micros_per_message,
                       const std::string& currency) {
  return MicrosToMinor(messages * micros_per_message, currency);
}

// The sales of the range (S) are the latest revision of each (source,
// pos_id) when it is a sale inside [from, to). Each query below that reads
// them carries this test; "u.revision > 1" lets it read the small index of
// corrected sales (transactions_revised) instead of every sale's key.
#define TB_LATEST_REVISION                                                  \
  "NOT EXISTS (SELECT 1 FROM transactions u WHERE u.source = t.source AND " \
  "u.pos_id = t.pos_id AND u.revision > t.revision AND u.revision > 1)"

// The attributed sales of S, per currency, local day (?3 = UTC offset in
// millis, constant over ?1..?2), campaign and whether reversed: count, revenue at the counter,
// and what refunds of part of a sale gave back. Read from the attributions side:
// a fraction of the sales, where probing attributions for every sale of a
// year would cost more than the rest of the report. sale_at follows the
// sale's latest revision (store/attribution.h), so the range test on it is
// exact; the test on the sale itself keeps it so. CROSS JOIN and the unary
// + keep SQLite from walking every sale of the range by time instead.
constexpr const char* kAttributed = R"sql(
SELECT t.currency, (t.occurred_at + ?3) / 86400000, a.campaign, a.reversed_at IS NOT NULL,
       count(*), sum(t.total_minor), sum(min(a.refunded_minor, t.total_minor)),
       sum(a.refunded_minor > 0)
FROM attributions a
CROSS JOIN transactions t ON t.source = a.source AND t.pos_id = a.pos_id AND t.kind = 'sale'
WHERE a.sale_at >= ?1 AND a.sale_at < ?2 AND +t.occurred_at >= ?1 AND +t.occurred_at < ?2
  AND )sql" TB_LATEST_REVISION R"sql(
GROUP BY 1, 2, 3, 4)sql";

// S per currency, local day and cashier (the trend, the sales by cashier,
// and summed up, the totals and the report's currency), in two reads: every
// sale row of the range, in time order straight off the covering time
// index, and then the few rows a later revision replaced, found from the
// small index of corrected sales and taken away again. Summing in C++
// while the rows stream past costs a fraction of a GROUP BY that sorts a
// million rows, or of a revision probe per row.
constexpr const char* kSaleRows = R"sql(
SELECT t.occurred_at, t.currency, t.cashier, t.total_minor, t.customer_phone <> ''
FROM transactions t
WHERE t.occurred_at >= ?1 AND t.occurred_at < ?2 AND t.kind = 'sale'
ORDER BY t.occurred_at)sql";

constexpr const char* kReplacedSaleRows = R"sql(
SELECT t.occurred_at, t.currency, t.cashier, t.total_minor, t.customer_phone <> ''
FROM transactions t
WHERE t.id IN (SELECT o.id FROM transactions u
               CROSS JOIN transactions o ON o.source = u.source AND o.pos_id = u.pos_id
                                        AND o.revision < u.revision
               WHERE u.revision > 1)
  AND t.occurred_at >= ?1 AND t.occurred_at < ?2 AND t.kind = 'sale')sql";

// Customers of S in the report's currency (?3) by marketing consent as of
// the range's end (?2): the state of the last ledger row appended for the
// phone among those that occurred before `to`. Append order, not
// occurred_at: a STOP that arrived late but was applied is the state the
// ledger settled on. The covering customer index hands the sales over
// grouped by phone, so nothing is sorted.
#define TB_CUSTOMERS_OF_S                                                                  \
  "SELECT count(*) AS sales, "                                                             \
  "coalesce((SELECT l.state = 'opted_in' FROM consent_ledger l "                           \
  "WHERE l.phone = t.customer_phone AND l.purpose = 'marketing' "                          \
  "AND l.occurred_at < ?2 ORDER BY l.seq DESC LIMIT 1), 0) AS subscriber "                 \
  "FROM transactions t WHERE t.customer_phone > '' AND t.occurred_at >= ?1 "               \
  "AND t.occurred_at < ?2 AND t.kind = 'sale' AND t.currency = ?3 AND " TB_LATEST_REVISION \
  " GROUP BY t.customer_phone"

constexpr const char* kRepeat =
    "SELECT subscriber, count(*), coalesce(sum(sales >= 2), 0) FROM (" TB_CUSTOMERS_OF_S
    ") GROUP BY subscriber";

#undef TB_CUSTOMERS_OF_S
#undef TB_LATEST_REVISION

// Per campaign: messages, the most common rule and purpose.
constexpr const char* kCampaignMessages = R"sql(
SELECT campaign, rule, purpose, count(*) FROM sms_messages
WHERE sent_at >= ?1 AND sent_at < ?2 GROUP BY campaign, rule, purpose)sql";

// Per campaign and over all: distinct codes texted, and those redeemed by
// the range's end (codes are stored upper case; redemptions as typed). The
// redeemed codes are one set, built once: a lookup per texted code through
// the upper(code) index is not something SQLite plans for a correlated
// subquery.
constexpr const char* kCampaignCoupons = R"sql(
SELECT campaign, count(*),
       coalesce(sum(coupon_code IN (SELECT upper(code) FROM coupon_redemptions
                                    WHERE redeemed_at < ?2)), 0)
FROM (SELECT DISTINCT campaign, coupon_code FROM sms_messages
      WHERE sent_at >= ?1 AND sent_at < ?2 AND coupon_code <> '')
GROUP BY campaign)sql";

constexpr const char* kCouponsOverall = R"sql(
SELECT count(*),
       coalesce(sum(coupon_code IN (SELECT upper(code) FROM coupon_redemptions
                                    WHERE redeemed_at < ?2)), 0)
FROM (SELECT DISTINCT coupon_code FROM sms_messages
      WHERE sent_at >= ?1 AND sent_at < ?2 AND coupon_code <> ''))sql";

constexpr const char* kCounterOptIns = R"sql(
SELECT actor, method, count(*) FROM consent_ledger
WHERE purpose = 'marketing' AND state IN ('opted_in', 'pending')
  AND method IN ('keypad', 'customer_display', 'cashier_entry', 'paper_form')
  AND occurred_at >= ?1 AND occurred_at < ?2
GROUP BY actor, method)sql";

// Runs `select` to the end, calling `row` on each row.
template <typename RowFn>
Status ForEachRow(Statement& select, RowFn row) {
  for (;;) {
    auto next = select.Step();
    if (!next.ok()) return next.status();
    if (!*next) return Status::Ok();
    row(select);
  }
}

// The store's local days over a query's range: the offset in force at each
// instant, and the range cut where daylight saving changes it.
class LocalClock {
 public:
  explicit LocalClock(const RoiQuery& query) : query_(query) {}

  // Millis east of UTC at `at`. A range has a few changes at most.
  std::int64_t OffsetAt(UnixMillis at) const {
    std::int32_t minutes = query_.utc_offset_minutes;
    for (const RoiQuery::OffsetChange& change : query_.offset_changes) {
      if (change.at > at) break;
      minutes = change.utc_offset_minutes;
    }
    return std::int64_t{minutes} * 60'000;
  }
  std::int64_t Day(UnixMillis at) const { return FloorDiv(at + OffsetAt(at), kDayMillis); }

  // [from, to) with one offset throughout.
  struct Span {
    UnixMillis from;
    UnixMillis to;
    std::int64_t offset;
  };
  std::vector<Span> Spans() const {
    std::vector<Span> spans;
    UnixMillis start = query_.from;
    for (const RoiQuery::OffsetChange& change : query_.offset_changes) {
      if (change.at <= start) continue;
      if (change.at >= query_.to) break;
      spans.push_back({start, change.at, OffsetAt(start)});
      start = change.at;
    }
    spans.push_back({start, query_.to, OffsetAt(start)});
    return spans;
  }

 private:
  const RoiQuery& query_;
};

Result<Statement> PrepareRange(Database& db, const char* sql, const RoiQuery& query) {
  auto select = db.Prepare(sql);
  if (!select.ok()) return select.status();
  select->Bind(1, query.from).Bind(2, query.to);
  return select;
}

Figure MakeFigure(std::string key, std::string label, Figure::Unit unit, std::int64_t numerator,
                  std::int64_t denominator, std::string numerator_is, std::string denominator_is) {
  Figure figure;
  figure.key = std::move(key);
  figure.label = std::move(label);
  figure.unit = unit;
  figure.numerator = numerator;
  figure.denominator = denominator;
  figure.numerator_is = std::move(numerator_is);
  figure.denominator_is = std::move(denominator_is);
  return figure;
}

void SortRows(std::vector<OptInRow>& rows) {
  std::sort(rows.begin(), rows.end(), [](const OptInRow& a, const OptInRow& b) {
    return a.opt_ins != b.opt_ins ? a.opt_ins > b.opt_ins : a.name < b.name;
  });
}

// The trend point `index` days into the range, or nullptr outside it.
DayPoint* DayOf(RoiReport& report, std::int64_t index) {
  if (index < 0 || index >= static_cast<std::int64_t>(report.trend.size())) return nullptr;
  return &report.trend[static_cast<size_t>(index)];
}

struct Counts {
  std::int64_t customers = 0;
  std::int64_t repeaters = 0;
};

// Rows one reader connection fetched; merged into the report afterwards.
struct SideReads {
  struct Repeat {
    bool subscriber;
    std::int64_t customers, repeaters;
  };
  struct Messages {
    std::string campaign, rule, purpose;
    std::int64_t count;
  };
  struct Coupons {
    std::string campaign;
    std::int64_t texted, redeemed;
  };
  struct OptIns {
    std::string actor, method;
    std::int64_t count;
  };
  std::string fingerprint;
  std::vector<Repeat> repeat;
  std::vector<Messages> messages;
  std::vector<Coupons> coupons;
  std::int64_t codes_texted = 0;
  std::int64_t codes_redeemed = 0;
  std::vector<OptIns> opt_ins;
};

// What the report reads, summed up: two connections that read the same
// fingerprint read the same data (every write the report can see adds a
// transaction, ledger row, message or redemption, or writes an attribution).
constexpr const char* kFingerprint =
    "SELECT (SELECT coalesce(max(id), 0) FROM transactions) || '/' || "
    "(SELECT coalesce(max(seq), 0) FROM consent_ledger) || '/' || "
    "(SELECT count(*) FROM sms_messages) || '/' || "
    "(SELECT count(*) FROM coupon_redemptions) || '/' || "
    "(SELECT count(*) || '/' || coalesce(max(attributed_at), 0) || '/' || count(reversed_at) "
    " FROM attributions)";

// A read-only connection of the report's own inside a read transaction,
// with its fingerprint taken (which fixes the transaction's snapshot).
Result<std::unique_ptr<Database>> OpenReader(const StoreOptions& options,
                                             std::string& fingerprint) {
  auto opened = Database::Open(options.path, /*create=*/false, /*read_only=*/true);
  if (!opened.ok()) return opened.status();
  Database& db = **opened;
  TB_RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = " + std::to_string(options.busy_timeout_ms)));
  // Sorts stay in memory; the pages the queries revisit are mapped rather
  // than read through system calls.
  TB_RETURN_IF_ERROR(db.Exec("PRAGMA temp_store = MEMORY"));
  TB_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size = -65536"));
  TB_RETURN_IF_ERROR(db.Exec("PRAGMA mmap_size = 268435456"));
  TB_RETURN_IF_ERROR(db.Exec("BEGIN"));
  auto select = db.Prepare(kFingerprint);
  if (!select.ok()) return select.status();
  TB_RETURN_IF_ERROR(ForEachRow(*select, [&](Statement& row) { fingerprint = row.Text(0); }));
  return opened;
}

Status ReadRepeat(Database& db, const RoiQuery& query, const std::string& currency,
                  std::vector<SideReads::Repeat>& out) {
  out.clear();
  if (currency.empty()) return Status::Ok();  // no sale in the range
  auto repeat = PrepareRange(db, kRepeat, query);
  if (!repeat.ok()) return repeat.status();
  repeat->Bind(3, currency);
  return ForEachRow(*repeat, [&](Statement& row) {
    out.push_back({row.Int(0) != 0, row.Int(1), row.Int(2)});
  });
}

// The messages, coupons and counter opt-ins of the range.
Status ReadMessagesAndOptIns(Database& db, const RoiQuery& query, SideReads& out) {
  auto messages = PrepareRange(db, kCampaignMessages, query);
  if (!messages.ok()) return messages.status();
  TB_RETURN_IF_ERROR(ForEachRow(*messages, [&](Statement& row) {
    out.messages.push_back({row.Text(0), row.Text(1), row.Text(2), row.Int(3)});
  }));
  auto coupons = PrepareRange(db, kCampaignCoupons, query);
  if (!coupons.ok()) return coupons.status();
  TB_RETURN_IF_ERROR(ForEachRow(*coupons, [&](Statement& row) {
    out.coupons.push_back({row.Text(0), row.Int(1), row.Int(2)});
  }));
  auto overall = PrepareRange(db, kCouponsOverall, query);
  if (!overall.ok()) return overall.status();
  TB_RETURN_IF_ERROR(ForEachRow(*overall, [&](Statement& row) {
    out.codes_texted = row.Int(0);
    out.codes_redeemed = row.Int(1);
  }));
  auto opt_ins = PrepareRange(db, kCounterOptIns, query);
  if (!opt_ins.ok()) return opt_ins.status();
  return ForEachRow(*opt_ins, [&](Statement& row) {
    out.opt_ins.push_back({row.Text(0), row.Text(1), row.Int(2)});
  });
}

}  // namespace

std::optional<double> Figure::Value() const {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

const Figure* RoiReport::Find(const std::string& key) const {
  for (const Figure& figure : headline) {
    if (figure.key == key) return &figure;
  }
  return nullptr;
}

Result<RoiReport> RoiReports::Compute(const RoiQuery& query) {
  if (query.to <= query.from) {
    return Status::InvalidArgument(
        "the report's range is empty or reversed: 'to' must be after "
        "'from'");
  }
  if (query.cost_per_message_micros < 0) {
    return Status::InvalidArgument("the cost per message must not be negative");
  }
  if (!std::is_sorted(query.offset_changes.begin(), query.offset_changes.end(),
                      [](const auto& a, const auto& b) { return a.at < b.at; })) {
    return Status::InvalidArgument("the report's UTC offset changes are not in time order");
  }
  const LocalClock local(query);
  const std::int64_t first_day = local.Day(query.from);
  const std::int64_t last_day = local.Day(query.to - 1);
  if (last_day - first_day + 1 > kMaxDays) {
    return Status::InvalidArgument("the report's range is longer than " + std::to_string(kMaxDays) +
                                   " days");
  }

  RoiReport report;
  report.query = query;
  report.store_id = core_.options.store_id;
  report.attribution_window_days = core_.options.attribution_window_days;
  report.generated_at = core_.Now();

  // Connections of the report's own, read-only, in read transactions: a
  // report over a year of sales never holds the store mutex the register's
  // writes wait on (WAL lets both run). Two of them, on two threads:
  // the sales and attributions here; the messages, coupons and opt-ins on
  // the other, then the customers (the repeat rates) once this thread has
  // found the report's currency;
  // when a write landed between their snapshots, this connection reads the
  // other's part again, so the figures always agree.
  std::string fingerprint;
  auto opened = OpenReader(core_.options, fingerprint);
  if (!opened.ok()) return opened.status();
  Database& db = **opened;
  SideReads side;
  Status side_status;
  // The report's currency, which this thread finds first; the customers'
  // reader waits for it (an empty one when this thread fails early).
  std::promise<std::string> currency_found;
  std::shared_future<std::string> report_currency = currency_found.get_future().share();
  std::thread side_thread;
  try {
    side_thread = std::thread([&] {
      // (Tests land a write here, between the two readers' snapshots.)
      side_status = core_.Fault("roi.before_second_reader");
      if (!side_status.ok()) return;
      auto reader = OpenReader(core_.options, side.fingerprint);
      side_status = reader.ok() ? ReadMessagesAndOptIns(**reader, query, side) : reader.status();
      if (side_status.ok()) {
        side_status = ReadRepeat(**reader, query, report_currency.get(), side.repeat);
      }
    });
  } catch (const std::system_error&) {
    side_status = Status::Unavailable("no thread for the report's second reader");
  }
  // On every return, error returns included: the currency is handed over
  // (so the reader never waits for ever), then the reader is joined.
  struct Joiner {
    std::thread& thread;
    std::promise<std::string>& currency_found;
    bool handed_over = false;
    void HandOver(const std::string& currency) {
      if (handed_over) return;
      handed_over = true;
      currency_found.set_value(currency);
    }
    ~Joiner() {
      HandOver("");
      if (thread.joinable()) thread.join();
    }
  } joiner{side_thread, currency_found};

  // The trend's days, each filled in below when it had sales.
  for (std::int64_t day = first_day; day <= last_day; ++day) {
    DayPoint point;
    point.date = FormatRfc3339(day * kDayMillis).substr(0, 10);
    report.trend.push_back(std::move(point));
  }
  // One currency per report: the one most sales of the range were in.
  std::map<std::string, std::int64_t> sales_by_cashier;
  {
    struct Day {
      std::int64_t day;
      std::string cashier;
      std::int64_t sales, revenue, identified;
    };
    std::map<std::string, std::vector<Day>> by_currency;
    // Adds (sign 1) or takes away (sign -1) the rows of `sql`, summed per
    // local day, currency and cashier; consecutive rows of one day are
    // summed in a small map first.
    auto sum_rows = [&](const char* sql, std::int64_t sign) -> Status {
      auto rows = PrepareRange(db, sql, query);
      if (!rows.ok()) return rows.status();
      std::map<std::pair<std::string, std::string>, Day> day_sums;  // (currency, cashier)
      std::int64_t current_day = 0;
      auto flush = [&] {
        for (auto& [key, sum] : day_sums) by_currency[key.first].push_back(std::move(sum));
        day_sums.clear();
      };
      Status read = ForEachRow(*rows, [&](Statement& row) {
        const std::int64_t day = local.Day(row.Int(0));
        if (day != current_day) flush();
        current_day = day;
        auto [it, added] = day_sums.try_emplace({row.Text(1), row.Text(2)});
        Day& sum = it->second;
        if (added) sum = Day{day, it->first.second, 0, 0, 0};
        sum.sales += sign;
        sum.revenue += sign * row.Int(3);
        sum.identified += sign * row.Int(4);
      });
      flush();
      return read;
    };
    TB_RETURN_IF_ERROR(sum_rows(kSaleRows, 1));
    TB_RETURN_IF_ERROR(sum_rows(kReplacedSaleRows, -1));
    std::map<std::string, std::int64_t> sales_in;
    for (const auto& [currency, days] : by_currency) {
      for (const Day& day : days) sales_in[currency] += day.sales;
      if (sales_in[currency] <= 0) continue;  // every row of it was replaced
      if (report.currency.empty() || sales_in[currency] > sales_in[report.currency]) {
        report.currency = currency;
      }
    }
    joiner.HandOver(report.currency);
    for (const auto& [currency, count] : sales_in) {
      if (currency == report.currency || count <= 0) continue;
      report.notes.push_back(std::to_string(count) + (count == 1 ? " sale" : " sales") + " in " +
                             currency + (count == 1 ? " is" : " are") +
                             " not counted: the report is in " + report.currency);
    }
    for (const Day& day : by_currency[report.currency]) {
      report.sales += day.sales;
      report.revenue_minor += day.revenue;
      report.identified_sales += day.identified;
      if (DayPoint* point = DayOf(report, day.day - first_day)) {
        point->sales += day.sales;
        point->revenue_minor += day.revenue;
      }
      sales_by_cashier[day.cashier] += day.sales;
    }
  }

  // Campaigns: every campaign with a message sent in the range, and any
  // whose earlier message is credited with a sale of the range, so the
  // campaign rows add up to the attributed totals.
  std::map<std::string, CampaignRoi> campaigns;
  std::int64_t partly_refunded = 0;
  {
    auto attributed = db.Prepare(kAttributed);
    if (!attributed.ok()) return attributed.status();
    auto add = [&](Statement& row) {
      if (row.Text(0) != report.currency) return;
      const std::int64_t count = row.Int(4);
      if (row.Int(3) != 0) {
        report.reversed_attributions += count;
        return;
      }
      // The credit is what the customer kept: net of refunds of part of
      // the sale. The counter value stays for the average sale.
      const std::int64_t refunded = row.Int(6);
      const std::int64_t revenue = row.Int(5) - refunded;
      report.attributed_sales += count;
      report.attributed_revenue_minor += revenue;
      report.attributed_refunded_minor += refunded;
      partly_refunded += row.Int(7);
      CampaignRoi& campaign = campaigns[row.Text(2)];
      campaign.attributed_sales += count;
      campaign.attributed_revenue_minor += revenue;
      if (DayPoint* point = DayOf(report, row.Int(1) - first_day)) {
        point->attributed_sales += count;
        point->attributed_revenue_minor += revenue;
      }
    };
    // Days are grouped in SQL, so each stretch of one offset is read on
    // its own.
    for (const LocalClock::Span& span : local.Spans()) {
      attributed->Reset();
      attributed->Bind(1, span.from).Bind(2, span.to).Bind(3, span.offset);
      TB_RETURN_IF_ERROR(ForEachRow(*attributed, add));
    }
  }
  if (partly_refunded > 0) {
    report.notes.push_back(
        std::to_string(partly_refunded) +
        (partly_refunded == 1 ? " attributed sale was" : " attributed sales were") +
        " refunded in part: attributed revenue leaves out what was given back");
  }

  if (side_thread.joinable()) side_thread.join();
  if (!side_status.ok() || side.fingerprint != fingerprint) {
    side = SideReads{};
    TB_RETURN_IF_ERROR(ReadMessagesAndOptIns(db, query, side));
    TB_RETURN_IF_ERROR(ReadRepeat(db, query, report.currency, side.repeat));
  }
  Counts subscribers;
  Counts others;
  for (const SideReads::Repeat& row : side.repeat) {
    Counts& group = row.subscriber ? subscribers : others;
    group.customers = row.customers;
    group.repeaters = row.repeaters;
  }
  report.customers = subscribers.customers + others.customers;

  std::map<std::string, std::pair<std::string, std::int64_t>> top_rule;
  std::map<std::string, std::pair<std::string, std::int64_t>> top_purpose;
  std::map<std::pair<std::string, std::string>, std::int64_t> rule_counts;
  std::map<std::pair<std::string, std::string>, std::int64_t> purpose_counts;
  for (const SideReads::Messages& row : side.messages) {
    campaigns[row.campaign].messages_sent += row.count;
    report.messages_sent += row.count;
    rule_counts[{row.campaign, row.rule}] += row.count;
    purpose_counts[{row.campaign, row.purpose}] += row.count;
  }
  // The most common value per campaign; ties go to the first in order.
  auto most_common = [](const std::map<std::pair<std::string, std::string>, std::int64_t>& counts,
                        std::map<std::string, std::pair<std::string, std::int64_t>>& top) {
    for (const auto& [key, count] : counts) {
      auto [it, inserted] = top.try_emplace(key.first, key.second, count);
      if (!inserted && count > it->second.second) it->second = {key.second, count};
    }
  };
  most_common(rule_counts, top_rule);
  most_common(purpose_counts, top_purpose);
  const std::int64_t codes_texted = side.codes_texted;
  const std::int64_t codes_redeemed = side.codes_redeemed;
  for (const SideReads::Coupons& row : side.coupons) {
    campaigns[row.campaign].coupons_texted = row.texted;
    campaigns[row.campaign].coupons_redeemed = row.redeemed;
  }
  for (auto& [name, campaign] : campaigns) {
    campaign.campaign = name;
    if (auto it = top_rule.find(name); it != top_rule.end()) campaign.rule = it->second.first;
    if (auto it = top_purpose.find(name); it != top_purpose.end()) {
      campaign.purpose = it->second.first;
    }
    campaign.cost_minor =
        CostMinor(campaign.messages_sent, query.cost_per_message_micros, report.currency);
    report.campaigns.push_back(campaign);
  }
  std::sort(report.campaigns.begin(), report.campaigns.end(),
            [](const CampaignRoi& a, const CampaignRoi& b) {
              return a.attributed_revenue_minor != b.attributed_revenue_minor
                         ? a.attributed_revenue_minor > b.attributed_revenue_minor
                         : a.campaign < b.campaign;
            });

  // Opt-ins at the counter, by cashier and by method.
  std::int64_t counter_opt_ins = 0;
  {
    std::map<std::string, OptInRow> by_cashier;
    std::map<std::string, OptInRow> by_method;
    for (const SideReads::OptIns& row : side.opt_ins) {
      by_cashier[row.actor].opt_ins += row.count;
      by_method[row.method].opt_ins += row.count;
      counter_opt_ins += row.count;
    }
    for (const auto& [cashier, sales] : sales_by_cashier) {
      // A sale without a cashier names nobody to credit or coach.
      if (!cashier.empty()) by_cashier[cashier].sales = sales;
    }
    for (auto& [name, row] : by_cashier) {
      row.name = name;
      report.opt_ins_by_cashier.push_back(row);
    }
    for (auto& [name, row] : by_method) {
      row.name = name;
      row.sales = report.sales;
      report.opt_ins_by_method.push_back(row);
    }
    SortRows(report.opt_ins_by_cashier);
    SortRows(report.opt_ins_by_method);
  }

  // The headline figures, in the order the header promises.
  using Unit = Figure::Unit;
  const std::int64_t other_sales = report.sales - report.attributed_sales;
  // Averages compare sales as rung up at the counter, attributed or not.
  const std::int64_t attributed_at_counter =
      report.attributed_revenue_minor + report.attributed_refunded_minor;
  const std::int64_t other_revenue = report.revenue_minor - attributed_at_counter;
  const std::int64_t cost =
      CostMinor(report.messages_sent, query.cost_per_message_micros, report.currency);
  std::int64_t uplift_numerator = 0;
  std::int64_t uplift_denominator = 0;
  if (report.attributed_sales > 0 && other_sales > 0) {
    const std::int64_t aov_attributed =
        RoundedDivide(attributed_at_counter, report.attributed_sales);
    const std::int64_t aov_other = RoundedDivide(other_revenue, other_sales);
    uplift_numerator = aov_attributed - aov_other;
    uplift_denominator = aov_other;
  }
  report.headline = {
      MakeFigure("coupon_redemption_rate", "Coupon redemption rate", Unit::kRatio, codes_redeemed,
                 codes_texted, "distinct coupon codes texted in the range and redeemed by its end",
                 "distinct coupon codes texted in the range"),
      MakeFigure("subscriber_repeat_rate", "Repeat rate, SMS subscribers", Unit::kRatio,
                 subscribers.repeaters, subscribers.customers,
                 "customers opted in to marketing SMS at the range's end with 2 or more sales "
                 "in the range",
                 "customers opted in to marketing SMS at the range's end with a sale in the "
                 "range"),
      MakeFigure("non_subscriber_repeat_rate", "Repeat rate, not subscribed", Unit::kRatio,
                 others.repeaters, others.customers,
                 "customers not opted in to marketing SMS at the range's end with 2 or more "
                 "sales in the range",
                 "customers not opted in to marketing SMS at the range's end with a sale in the "
                 "range"),
      MakeFigure("aov_attributed", "Average SMS-attributed sale", Unit::kMoney,
                 attributed_at_counter, report.attributed_sales,
                 "totals rung up of the range's sales credited to an SMS (not refunded in "
                 "full or voided)",
                 "sales of the range credited to an SMS (not refunded in full or voided)"),
      MakeFigure("aov_other", "Average other sale", Unit::kMoney, other_revenue, other_sales,
                 "revenue of the range's other sales, anonymous ones included",
                 "other sales of the range, anonymous ones included"),
      MakeFigure("aov_uplift", "Attributed sale uplift", Unit::kRatio, uplift_numerator,
                 uplift_denominator,
                 "average SMS-attributed sale minus average other sale, each rounded to a "
                 "minor unit",
                 "average other sale, rounded to a minor unit"),
      MakeFigure("revenue_per_message", "Revenue per message", Unit::kMoney,
                 report.attributed_revenue_minor, report.messages_sent,
                 "revenue of the range's sales credited to an SMS (not refunded in full or "
                 "voided), less refunds of part of them",
                 "SMS messages sent in the range"),
      MakeFigure("campaign_roi", "Campaign ROI", Unit::kRatio,
                 report.attributed_revenue_minor - cost, cost,
                 "SMS-attributed revenue minus the cost of the messages sent in the range",
                 "cost of the messages sent in the range (messages x cost per message)"),
      MakeFigure("counter_opt_in_rate", "Counter opt-in rate", Unit::kRatio, counter_opt_ins,
                 report.sales,
                 "marketing opt-ins captured at the counter in the range (keypad, customer "
                 "display, cashier entry, paper form; pending ones included)",
                 "sales of the range"),
  };
  return report;
}

}  // namespace tillbridge::store
