#include "tools/refcloud/chain_report.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "common/currency.h"
#include "tools/refcloud/event_parser.h"

namespace tillbridge::refcloud {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::int64_t kDayMs = 86'400'000;

struct Sale {
  std::string store_id;
  std::string pos_id;
  std::string phone;
  std::string currency;
  std::int64_t total_minor = 0;
  UnixMillis occurred_at = 0;
  std::set<std::string> coupon_codes;
};

void NoteRedemption(std::map<std::string, UnixMillis>& redeemed_at, const std::string& code,
                    UnixMillis at) {
  auto [it, fresh] = redeemed_at.emplace(code, at);
  if (!fresh) it->second = std::min(it->second, at);
}

bool InRange(const ChainReportQuery& query, UnixMillis at) {
  return at >= query.from && at < query.to;
}

// The message a sale is credited to, or nullptr. `messages` are the sent
// ones, oldest first.
const MessageRecord* AttributedTo(const Sale& sale, const std::vector<const MessageRecord*>& sent,
                                  std::int64_t window_days) {
  // A redeemed coupon names its message outright, however long ago it was
  // sent (the coupon's validity already limits that); the latest wins.
  const MessageRecord* by_coupon = nullptr;
  for (const MessageRecord* message : sent) {
    if (!message->coupon_code.empty() && message->phone == sale.phone &&
        message->created_at < sale.occurred_at &&
        sale.coupon_codes.count(message->coupon_code) > 0) {
      by_coupon = message;
    }
  }
  if (by_coupon != nullptr) return by_coupon;
  const MessageRecord* last = nullptr;
  for (const MessageRecord* message : sent) {
    if (message->phone != sale.phone || !message->attributable) continue;
    if (message->created_at >= sale.occurred_at) continue;
    if (message->created_at < sale.occurred_at - window_days * kDayMs) continue;
    last = message;  // oldest first: the last match is the latest touch
  }
  return last;
}

ReportFigure Ratio(std::string key, std::int64_t numerator, std::int64_t denominator,
                   std::string numerator_is, std::string denominator_is) {
  return {std::move(key), numerator, denominator, std::move(numerator_is),
          std::move(denominator_is)};
}

void AddFigures(LocationFigures& f) {
  f.figures.clear();
  f.figures.push_back(Ratio("coupon_redemption_rate", f.coupons_redeemed, f.coupons_texted,
                            "coupons texted in the range and redeemed by its end",
                            "coupons texted in the range"));
  f.figures.push_back(Ratio("repeat_purchase_rate", f.repeat_customers, f.customers,
                            "customers with 2 or more sales in the range",
                            "customers with 1 or more sales in the range"));
  // Averages compare sales as rung up; the credit is net of partial refunds.
  const std::int64_t at_counter = f.attributed_revenue_minor + f.attributed_refunded_minor;
  f.figures.push_back(Ratio("aov_attributed", at_counter, f.attributed_sales,
                            "totals rung up of attributed sales (minor units)",
                            "attributed sales"));
  f.figures.push_back(Ratio("aov_other", f.other_revenue_minor, f.other_sales,
                            "revenue of the other sales (minor units)", "other sales"));
  // (a/b) / (c/d) - 1 = (a*d - c*b) / (c*b), kept in whole numbers.
  f.figures.push_back(
      Ratio("aov_uplift",
            at_counter * f.other_sales - f.other_revenue_minor * f.attributed_sales,
            f.other_revenue_minor * f.attributed_sales,
            "attributed totals rung up x other sales - other revenue x attributed sales",
            "other revenue x attributed sales"));
  f.figures.push_back(Ratio("revenue_per_message", f.attributed_revenue_minor, f.messages_sent,
                            "attributed revenue, net of partial refunds (minor units)",
                            "messages sent in the range"));
  f.figures.push_back(Ratio("roi", f.attributed_revenue_minor - f.cost_minor, f.cost_minor,
                            "attributed revenue - message cost (minor units)",
                            "message cost (minor units)"));
}

Object::Ptr LocationJson(const LocationFigures& f) {
  Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  out->set("store_id", f.store_id);
  out->set("sales", f.sales);
  out->set("revenue_minor", f.revenue_minor);
  out->set("messages_sent", f.messages_sent);
  out->set("coupons_texted", f.coupons_texted);
  out->set("coupons_redeemed", f.coupons_redeemed);
  out->set("customers", f.customers);
  out->set("repeat_customers", f.repeat_customers);
  out->set("attributed_sales", f.attributed_sales);
  out->set("attributed_revenue_minor", f.attributed_revenue_minor);
  out->set("attributed_refunded_minor", f.attributed_refunded_minor);
  out->set("other_sales", f.other_sales);
  out->set("other_revenue_minor", f.other_revenue_minor);
  out->set("reversed_attributions", f.reversed_attributions);
  out->set("cost_minor", f.cost_minor);
  Object::Ptr figures = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const ReportFigure& figure : f.figures) {
    Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    const auto value = figure.Value();
    if (value) {
      entry->set("value", *value);
    } else {
      entry->set("value", Poco::Dynamic::Var());
    }
    entry->set("numerator", figure.numerator);
    entry->set("denominator", figure.denominator);
    entry->set("numerator_is", figure.numerator_is);
    entry->set("denominator_is", figure.denominator_is);
    figures->set(figure.key, entry);
  }
  out->set("figures", figures);
  return out;
}

}  // namespace

std::optional<double> ReportFigure::Value() const {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

const ReportFigure* LocationFigures::Find(const std::string& key) const {
  for (const ReportFigure& figure : figures) {
    if (figure.key == key) return &figure;
  }
  return nullptr;
}

ChainReport BuildChainReport(const ChainReportQuery& query, const std::vector<EventRecord>& events,
                             const std::vector<MessageRecord>& messages) {
  ChainReport report;
  report.query = query;
  report.chain.store_id = "*";

  // Sales by (store, POS id): the latest revision counts; a void removes
  // it; linked refunds take back what they gave back from its attribution,
  // and reverse it once they gave back its whole total.
  using Key = std::pair<std::string, std::string>;
  std::map<Key, Sale> sales;
  std::set<Key> voided;
  std::map<Key, std::pair<Key, std::int64_t>> refunds;  // refund -> (sale, money back)
  std::map<std::pair<std::string, std::string>, std::set<std::string>> redeemed_on_sale;
  std::map<std::string, UnixMillis> redeemed_at;  // code -> first redemption
  for (const EventRecord& record : events) {
    BatchItem item = ParseSingleEvent(record.payload);
    if (!item.event) continue;
    const ValidEvent& event = *item.event;
    if (event.type == "transaction.completed") {
      Sale& sale = sales[{event.store_id, event.pos_id}];
      sale.store_id = event.store_id;
      sale.pos_id = event.pos_id;
      sale.phone = event.phone;
      sale.currency = event.currency;
      sale.total_minor = event.total_minor;
      sale.occurred_at = event.occurred_at;
      sale.coupon_codes =
          std::set<std::string>(event.coupon_codes.begin(), event.coupon_codes.end());
      for (const auto& code : event.coupon_codes)
        NoteRedemption(redeemed_at, code, event.occurred_at);
    } else if (event.type == "transaction.voided") {
      voided.insert({event.store_id, event.pos_id});
    } else if (event.type == "transaction.refunded" && !event.refund_of.empty()) {
      refunds[{event.store_id, event.pos_id}] = {{event.store_id, event.refund_of},
                                                 std::llabs(event.total_minor)};
    } else if (event.type == "coupon.redeemed") {
      NoteRedemption(redeemed_at, event.coupon_code, event.occurred_at);
      if (!event.transaction_pos_id.empty()) {
        redeemed_on_sale[{event.store_id, event.transaction_pos_id}].insert(event.coupon_code);
      }
    }
  }

  std::map<Key, std::int64_t> refunded;
  for (const auto& [refund, given_back] : refunds) refunded[given_back.first] += given_back.second;

  std::vector<const MessageRecord*> sent;
  for (const MessageRecord& message : messages) {
    if (message.status == "sent") sent.push_back(&message);
  }
  std::sort(sent.begin(), sent.end(), [](const MessageRecord* a, const MessageRecord* b) {
    return a->created_at != b->created_at ? a->created_at < b->created_at : a->seq < b->seq;
  });

  std::map<std::string, LocationFigures> locations;
  std::map<std::string, std::map<std::string, std::int64_t>> sales_by_phone;  // store -> phone
  std::map<std::string, std::int64_t> chain_sales_by_phone;
  std::int64_t other_currency = 0;
  for (auto& [key, sale] : sales) {
    if (!InRange(query, sale.occurred_at) || voided.count(key) > 0) continue;
    if (report.currency.empty()) report.currency = sale.currency;
    if (sale.currency != report.currency) {
      ++other_currency;
      continue;
    }
    auto extra = redeemed_on_sale.find(key);
    if (extra != redeemed_on_sale.end()) {
      sale.coupon_codes.insert(extra->second.begin(), extra->second.end());
    }
    LocationFigures& at = locations[sale.store_id];
    at.store_id = sale.store_id;
    const MessageRecord* message =
        sale.phone.empty() ? nullptr : AttributedTo(sale, sent, query.attribution_window_days);
    const auto refund = refunded.find(key);
    const std::int64_t given_back = refund == refunded.end() ? 0 : refund->second;
    const bool reversed = message != nullptr && refund != refunded.end() &&
                          given_back >= sale.total_minor;
    for (LocationFigures* f : {&at, &report.chain}) {
      ++f->sales;
      f->revenue_minor += sale.total_minor;
      if (message != nullptr && !reversed) {
        ++f->attributed_sales;
        f->attributed_revenue_minor += sale.total_minor - given_back;
        f->attributed_refunded_minor += given_back;
      } else {
        ++f->other_sales;
        f->other_revenue_minor += sale.total_minor;
      }
      if (reversed) ++f->reversed_attributions;
    }
    if (!sale.phone.empty()) {
      ++sales_by_phone[sale.store_id][sale.phone];
      ++chain_sales_by_phone[sale.phone];
    }
  }
  if (other_currency > 0) {
    report.notes.push_back(std::to_string(other_currency) + " sales not in " + report.currency +
                           " are left out");
  }
  const auto count_customers = [](LocationFigures& f,
                                  const std::map<std::string, std::int64_t>& by_phone) {
    for (const auto& [phone, count] : by_phone) {
      ++f.customers;
      if (count >= 2) ++f.repeat_customers;
    }
  };
  for (const auto& [store, by_phone] : sales_by_phone) count_customers(locations[store], by_phone);
  count_customers(report.chain, chain_sales_by_phone);

  for (const MessageRecord* message : sent) {
    if (!InRange(query, message->created_at)) continue;
    std::vector<LocationFigures*> targets = {&report.chain};
    // Messages no sale caused (keyword replies, re-engagement of a
    // customer with no store) count for the chain only.
    if (!message->store_id.empty()) {
      LocationFigures& at = locations[message->store_id];
      at.store_id = message->store_id;
      targets.push_back(&at);
    }
    for (LocationFigures* f : targets) {
      ++f->messages_sent;
      if (!message->coupon_code.empty()) {
        ++f->coupons_texted;
        auto redeemed = redeemed_at.find(message->coupon_code);
        if (redeemed != redeemed_at.end() && redeemed->second < query.to) ++f->coupons_redeemed;
      }
    }
  }
  const auto finish = [&](LocationFigures& f) {
    f.cost_minor = MicrosToMinor(f.messages_sent * query.cost_per_message_micros, report.currency);
    AddFigures(f);
  };
  for (auto& [store, f] : locations) {
    finish(f);
    report.locations.push_back(f);
  }
  finish(report.chain);
  return report;
}

std::string ChainReportJson(const ChainReport& report) {
  Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  out->set("from", FormatRfc3339(report.query.from));
  out->set("to", FormatRfc3339(report.query.to));
  out->set("currency", report.currency);
  out->set("cost_per_message_micros", report.query.cost_per_message_micros);
  out->set("attribution_window_days", report.query.attribution_window_days);
  Array::Ptr locations = new Array();
  for (const LocationFigures& f : report.locations) locations->add(LocationJson(f));
  out->set("locations", locations);
  out->set("chain", LocationJson(report.chain));
  Array::Ptr notes = new Array();
  for (const auto& note : report.notes) notes->add(note);
  out->set("notes", notes);
  std::ostringstream text;
  out->stringify(text);
  return text.str();
}

Result<std::int64_t> ParseCostMicros(const std::string& text) {
  std::int64_t whole = 0, fraction = 0;
  int decimals = -1;
  for (char c : text) {
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9' || decimals >= 6 || whole > 1'000'000) {
      return Status::InvalidArgument("cost_per_message must be a decimal such as 0.0079, got '" +
                                     text + "'");
    }
    if (decimals < 0) {
      whole = whole * 10 + (c - '0');
    } else {
      fraction = fraction * 10 + (c - '0');
      ++decimals;
    }
  }
  if (text.empty() || text == ".") {
    return Status::InvalidArgument("cost_per_message must be a decimal such as 0.0079");
  }
  for (int i = std::max(decimals, 0); i < 6; ++i) fraction *= 10;
  return whole * 1'000'000 + fraction;
}

}  // namespace tillbridge::refcloud
