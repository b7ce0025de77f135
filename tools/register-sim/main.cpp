// tillbridge-register-sim: plays a shop register on the demo POS database.
// It creates the database when missing and rings up sales (some with a
// customer's phone), refunds, voids and held baskets, some completed later
// and some left to be abandoned, at a steady rate, printing one line per
// action. It is the only thing that writes the demo database; the agent
// reads it read-only.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "common/phone.h"
#include "tools/register-sim/demo_pos.h"

namespace {

using tillbridge::Result;
using tillbridge::Status;
using tillbridge::tools::DemoBasket;
using tillbridge::tools::DemoCustomer;
using tillbridge::tools::DemoPos;
using tillbridge::tools::DemoProduct;

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

constexpr const char* kUsage = R"(usage: tillbridge-register-sim --db PATH [options]

Plays a shop register on the Tillbridge demo POS database (SQLite): rings up
sales, refunds, voids and held baskets, printing one line per action. The
database and its schema are created when missing.

options:
  --db PATH        demo POS database file (required)
  --rate RATE      actions per time: 30/min (default), 2/s, 500/h; a bare
                   number is per minute
  --count N        stop after N actions (default 0: until Ctrl-C)
  --seed N         random seed, for a repeatable run (default: from the clock)
  --complete-after SECONDS
                   held baskets that get completed are completed this many
                   seconds after being held, at the earliest (default 20)
  --quiet          print only the summary
  --help           show this help
)";

struct Options {
  std::string db;
  double per_second = 0.5;
  long long count = 0;
  std::uint64_t seed = 0;
  bool seeded = false;
  double complete_after_s = 20;
  bool quiet = false;
};

Result<double> ParseRate(const std::string& text) {
  std::string number = text;
  double unit = 60.0;  // per minute unless told otherwise
  const size_t slash = text.find('/');
  if (slash != std::string::npos) {
    number = text.substr(0, slash);
    const std::string per = text.substr(slash + 1);
    if (per == "s" || per == "sec" || per == "second")
      unit = 1.0;
    else if (per == "min" || per == "m" || per == "minute")
      unit = 60.0;
    else if (per == "h" || per == "hour")
      unit = 3600.0;
    else
      return Status::InvalidArgument("--rate: unknown unit '/" + per + "' (use /s, /min or /h)");
  }
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0' || !(value > 0) || value > 1e6) {
    return Status::InvalidArgument("--rate: expected a positive rate such as 30/min or 2/s, got '" +
                                   text + "'");
  }
  return value / unit;
}

Result<long long> ParseCount(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0) {
    return Status::InvalidArgument(flag + ": expected a whole number >= 0, got '" + text + "'");
  }
  return value;
}

Result<Options> ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> Result<std::string> {
      if (i + 1 >= argc) return Status::InvalidArgument(arg + " needs a value");
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--db") {
      auto v = value();
      if (!v.ok()) return v.status();
      options.db = *v;
    } else if (arg == "--rate") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto rate = ParseRate(*v);
      if (!rate.ok()) return rate.status();
      options.per_second = *rate;
    } else if (arg == "--count") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto count = ParseCount("--count", *v);
      if (!count.ok()) return count.status();
      options.count = *count;
    } else if (arg == "--seed") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto seed = ParseCount("--seed", *v);
      if (!seed.ok()) return seed.status();
      options.seed = static_cast<std::uint64_t>(*seed);
      options.seeded = true;
    } else if (arg == "--complete-after") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto seconds = ParseCount("--complete-after", *v);
      if (!seconds.ok()) return seconds.status();
      options.complete_after_s = static_cast<double>(*seconds);
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else {
      return Status::InvalidArgument("unknown option '" + arg + "' (see --help)");
    }
  }
  if (options.db.empty()) return Status::InvalidArgument("--db PATH is required (see --help)");
  return options;
}

std::string Money(std::int64_t cents) {
  char text[32];
  std::snprintf(text, sizeof(text), "%s$%lld.%02lld", cents < 0 ? "-" : "",
                static_cast<long long>(std::llabs(cents) / 100),
                static_cast<long long>(std::llabs(cents) % 100));
  return text;
}

class Register {
 public:
  Register(DemoPos& pos, std::vector<DemoProduct> products, std::vector<DemoCustomer> customers,
           const Options& options)
      : pos_(pos),
        products_(std::move(products)),
        customers_(std::move(customers)),
        options_(options),
        random_(options.seed) {}

  // Performs one action and returns the line describing it.
  Result<std::string> Step(std::chrono::steady_clock::time_point now) {
    // Baskets whose customer came back are completed first.
    if (!to_complete_.empty() && to_complete_.front().first <= now) {
      const std::int64_t id = to_complete_.front().second;
      to_complete_.pop_front();
      auto ticket = pos_.CompleteHeld(id, Pick({"cash", "card"}));
      if (!ticket.ok()) return ticket.status();
      ++counts_["completed"];
      recent_paid_.push_back(id);
      return Line("complete", id, Money(ticket->total_cents) + "  held basket paid");
    }
    const int roll = Uniform(0, 99);
    if (roll < 10) return Hold(now);
    if (roll < 18 && !recent_paid_.empty()) return Refund();
    if (roll < 22 && !recent_paid_.empty()) return Void();
    if (roll < 25 && !held_open_.empty()) return Discard();
    return Sale();
  }

  const std::map<std::string, long long>& counts() const { return counts_; }

 private:
  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  std::string Pick(std::initializer_list<const char*> choices) {
    return *(choices.begin() + Uniform(0, static_cast<int>(choices.size()) - 1));
  }

  // The phone as the agent will see it, masked: the simulator never prints
  // a full number.
  std::string DescribePhone(const std::string& phone) const {
    if (phone.empty()) return "(no phone)";
    auto e164 = phone_.Normalize(phone);
    return e164.ok() ? tillbridge::MaskPhone(*e164) : "(unusable phone)";
  }

  DemoBasket Basket(std::string* describe) {
    DemoBasket basket;
    const int lines = Uniform(1, 5);
    for (int i = 0; i < lines; ++i) {
      const DemoProduct& product =
          products_[static_cast<size_t>(Uniform(0, static_cast<int>(products_.size()) - 1))];
      const std::int64_t qty = product.sold_by_weight ? Uniform(150, 1500) : 1000 * Uniform(1, 3);
      basket.lines.push_back({product.sku, qty});
    }
    basket.cashier_id = Uniform(1, 3);
    basket.payment = Pick({"cash", "card", "card", "gift_card"});
    *describe = std::to_string(lines) + (lines == 1 ? " line " : " lines");
    if (Uniform(0, 99) < 45 && !customers_.empty()) {
      const DemoCustomer& customer =
          customers_[static_cast<size_t>(Uniform(0, static_cast<int>(customers_.size()) - 1))];
      basket.customer_id = customer.id;
      *describe += "  customer " + customer.name + " " + DescribePhone(customer.phone);
    }
    if (Uniform(0, 99) < 10) {
      basket.coupons.push_back(Pick({"SPRING10", "WELCOME5", "LOYAL20"}));
      *describe += "  coupon " + basket.coupons.back();
    }
    return basket;
  }

  std::string Line(const char* action, std::int64_t id, const std::string& detail) {
    char head[64];
    std::snprintf(head, sizeof(head), "%-9s #%-6lld ", action, static_cast<long long>(id));
    return head + detail;
  }

  Result<std::string> Sale() {
    std::string describe;
    DemoBasket basket = Basket(&describe);
    auto ticket = pos_.RingUpSale(basket);
    if (!ticket.ok()) return ticket.status();
    ++counts_["sales"];
    recent_paid_.push_back(ticket->id);
    if (recent_paid_.size() > 50) recent_paid_.pop_front();
    return Line("sale", ticket->id,
                Money(ticket->total_cents) + "  " + basket.payment + "  " + describe);
  }

  Result<std::string> Hold(std::chrono::steady_clock::time_point now) {
    std::string describe;
    DemoBasket basket = Basket(&describe);
    auto ticket = pos_.HoldBasket(basket);
    if (!ticket.ok()) return ticket.status();
    ++counts_["held"];
    std::string fate;
    if (Uniform(0, 99) < 50) {
      const auto delay = std::chrono::duration<double>(options_.complete_after_s *
                                                       (1.0 + Uniform(0, 100) / 100.0));
      to_complete_.emplace_back(
          now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay), ticket->id);
      std::sort(to_complete_.begin(), to_complete_.end());
      fate = "customer will be back";
    } else {
      held_open_.push_back(ticket->id);
      fate = "left at the counter";
    }
    return Line("hold", ticket->id,
                Money(ticket->total_cents) + "  " + describe + "  (" + fate + ")");
  }

  Result<std::string> Refund() {
    const std::int64_t id = recent_paid_.front();
    recent_paid_.pop_front();
    Status status = pos_.Refund(id);
    if (!status.ok()) return status;
    ++counts_["refunds"];
    return Line("refund", id, "sale refunded in full");
  }

  Result<std::string> Void() {
    const std::int64_t id = recent_paid_.back();
    recent_paid_.pop_back();
    Status status = pos_.Void(id);
    if (!status.ok()) return status;
    ++counts_["voids"];
    return Line("void", id, "sale cancelled");
  }

  Result<std::string> Discard() {
    const std::int64_t id = held_open_.front();
    held_open_.pop_front();
    Status status = pos_.DiscardHeld(id);
    if (!status.ok()) return status;
    ++counts_["discarded"];
    return Line("discard", id, "held basket thrown away");
  }

  DemoPos& pos_;
  std::vector<DemoProduct> products_;
  std::vector<DemoCustomer> customers_;
  const Options& options_;
  tillbridge::PhoneNormalizer phone_{"US"};
  std::mt19937_64 random_;
  std::deque<std::int64_t> recent_paid_;
  std::deque<std::int64_t> held_open_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::int64_t>> to_complete_;
  std::map<std::string, long long> counts_;
};

}  // namespace

int main(int argc, char** argv) {
  auto options = ParseArgs(argc, argv);
  if (!options.ok()) {
    std::cerr << "tillbridge-register-sim: " << options.status().message() << "\n";
    return 2;
  }
  if (!options->seeded) {
    options->seed =
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  auto pos = DemoPos::Open(options->db, tillbridge::SystemClock::Instance());
  if (!pos.ok()) {
    std::cerr << "tillbridge-register-sim: " << pos.status().message() << "\n";
    return 1;
  }
  auto products = (*pos)->Products();
  auto customers = (*pos)->Customers();
  if (!products.ok() || !customers.ok() || products->empty()) {
    std::cerr << "tillbridge-register-sim: the demo database has no products\n";
    return 1;
  }
  Register reg(**pos, std::move(products).value(), std::move(customers).value(), *options);
  if (!options->quiet) {
    std::cout << "register-sim: " << options->db << ", " << options->per_second * 60
              << " actions/min, seed " << options->seed << "\n"
              << std::flush;
  }

  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / options->per_second));
  auto next = std::chrono::steady_clock::now();
  long long done = 0;
  int failures = 0;
  while (!g_stop && (options->count == 0 || done < options->count)) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          next - now, std::chrono::milliseconds(200)));
      continue;
    }
    next += interval;
    auto line = reg.Step(now);
    if (!line.ok()) {
      std::cerr << "register-sim: " << line.status().message() << "\n";
      if (++failures >= 10) {
        std::cerr << "register-sim: giving up after 10 failed actions in a row\n";
        return 1;
      }
      continue;
    }
    failures = 0;
    ++done;
    if (!options->quiet) {
      std::cout << tillbridge::FormatRfc3339(tillbridge::SystemClock::Instance().NowMillis())
                << "  " << *line << "\n"
                << std::flush;
    }
  }
  std::cout << "register-sim: " << done << " actions";
  for (const auto& [name, count] : reg.counts()) std::cout << ", " << count << " " << name;
  std::cout << "\n";
  return 0;
}
