// No card number is kept, end to end (ARCHITECTURE.md invariant 7): the
// agent runs in this process as `tillbridge run` would (config file,
// logging, Runtime) with all three sources: the local API over real HTTP,
// the POS database source reading a SQLite demo POS, and the printer tap on
// TCP forwarding ESC/POS bytes to a stand-in printer. The payment brands'
// test card numbers go in through every path and in every written form a
// tester found; then the whole data folder (SQLite files with -wal and
// -shm, the receipt spool, the unmatched-receipt log, the agent log) and
// every outbox payload are searched for them with digits normalized.
#include <Poco/Logger.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/api_token.h"
#include "agent/config.h"
#include "agent/logging.h"
#include "agent/runtime.h"
#include "common/clock.h"
#include "common/text.h"
#include "store/outbox.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "tests/card_number_scan.h"
#include "tests/drivers/printer/printer_fixtures.h"
#include "tests/test_util.h"
#include "tools/register-sim/demo_pos.h"

namespace tillbridge::agent {
namespace {

using namespace std::chrono_literals;
using tillbridge::testing::CardNumbersIn;
using tillbridge::testing::KnownTestCardNumbers;

int FreePort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  return socket.address().port();
}

std::string FullWidth(const std::string& ascii) {
  std::string out;
  for (const char c : ascii) {
    if (c >= '0' && c <= '9') {
      AppendUtf8(0xFF10 + static_cast<char32_t>(c - '0'), out);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

Reply Call(int port, const std::string& token, const std::string& method, const std::string& path,
           const std::string& body, const std::string& idempotency_key = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Authorization", "Bearer " + token);
  if (!idempotency_key.empty()) request.set("Idempotency-Key", idempotency_key);
  request.setContentType("application/json");
  request.setContentLength64(static_cast<Poco::Int64>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = static_cast<int>(response.getStatus());
  for (const auto& [name, value] : response) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[lower] = value;
  }
  std::ostringstream text;
  Poco::StreamCopier::copyStream(in, text);
  reply.body = text.str();
  return reply;
}

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  REQUIRE_MESSAGE(rc == SQLITE_OK, sql, ": ", message);
}

// The demo POS with sales whose SKU, description, coupon code, cashier
// name and customer phone hold card numbers, as the tester's POS did.
void RingUpSalesFullOfCards(const std::string& path) {
  SystemClock clock;
  auto pos = tools::DemoPos::Open(path, clock);
  REQUIRE_MESSAGE(pos.ok(), pos.status().ToString());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  Exec(db,
       "INSERT INTO products (sku, description, unit_price_cents) VALUES "
       "('4111111111111111', 'Paid with 4111 1111 1111 1111', 500), "
       "('SKU-WIDE', '" +
           FullWidth("3530 1113 3330 0000") +
           "', 250), "
           "('SKU-DOTS', 'Gift card 6011.1111.1111.1117', 1000);"
           "INSERT INTO cashiers (cashier_id, name) VALUES (4, 'Kim 5555-5555-5555-4444');"
           "INSERT INTO customers (customer_id, name, phone) VALUES (7, 'Pat', '6011 1111 1111 "
           "1117');");
  tools::DemoBasket first;
  first.lines = {{"4111111111111111", 1000}, {"4006381333931", 2000}};
  first.cashier_id = 4;
  first.customer_id = 7;
  first.coupons = {"4111-1111-1111-1111", "SAVE10"};
  auto sale = (*pos)->RingUpSale(first);
  REQUIRE_MESSAGE(sale.ok(), sale.status().ToString());
  tools::DemoBasket second;
  second.lines = {{"SKU-WIDE", 1000}, {"SKU-DOTS", 1000}};
  second.cashier_id = 4;
  REQUIRE((*pos)->RingUpSale(second).ok());
  // A currency the source cannot read is logged with its text: the log
  // gets a card number written with underscores, which only the card
  // masking of the log catches.
  Exec(db, "UPDATE tickets SET currency = '3782_822463_10005' WHERE ticket_id = " +
               std::to_string(sale->id));
  sqlite3_close(db);
}

// Two receipts the way a POS prints them: a sale in the corner-market
// layout with card numbers in double-spaced groups, wrapped over two
// 32-column lines, as the cashier and in a line item; then a receipt no
// template knows (kept in the unmatched log).
std::string ReceiptsFullOfCards() {
  std::string bytes = "\x1b@";
  bytes +=
      "CORNER MARKET\n"
      "Receipt: 200201\n"
      "Date: 2026-11-29 12:00\n"
      "Cashier: 3782 822463 10005\n"
      "2 x 3530 1113 3330 0000 @3.49   6.98\n"
      "Subtotal   6.98\n"
      "TOTAL   6.98\n"
      "VISA 4111  1111  1111  1111\n"
      "Tarjeta num. 4111 1111 1111\n"
      "1111 caduca 12/27\n"
      "Card payment 6.98\n"
      "Coupon: 6011-1111-1111-1117\n";
  bytes += "\x1dV";
  bytes.push_back('\0');
  bytes += "\x1b@HELLO SHOP\nRef 5555 5555 5555 4444\nThanks\n\x1dV";
  bytes.push_back('\0');
  return bytes;
}

void Print(int tap_port, const std::string& bytes) {
  Poco::Net::StreamSocket socket;
  socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(tap_port)),
                 Poco::Timespan(5, 0));
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const int n = socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
  // Give the printer's status bytes time to come back, as a POS would.
  std::this_thread::sleep_for(200ms);
  socket.shutdownSend();
  socket.close();
}

std::string JsonQuoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string Sale(const std::string& pos_id, const std::string& extra) {
  return R"({"pos_id":)" + JsonQuoted(pos_id) +
         R"(,"kind":"sale","occurred_at":"2026-11-29T12:00:00Z","currency":"USD","total_minor":500)" +
         extra + "}";
}

// Checks that nothing under `dir` holds a known card number.
void CheckFolder(const std::filesystem::path& dir, const char* when) {
  std::size_t files = 0;
  const auto findings = tillbridge::testing::ScanFolder(dir, KnownTestCardNumbers(), &files);
  MESSAGE(std::string(when), ": scanned ", files, " files under ", dir.string());
  CHECK(files >= 5);
  for (const auto& finding : findings) {
    FAIL_CHECK(std::string(when) << ": card number " << finding.number << " found in "
                                 << finding.where);
  }
}

TEST_CASE("card numbers fed through the API, the POS database and the printer are kept nowhere") {
  // The scanner itself finds every written form.
  for (const std::string& form :
       {std::string("4111  1111  1111  1111"), std::string("4111.1111.1111.1111"),
        std::string("4111/1111/1111/1111"), std::string("4111_1111_1111_1111"),
        std::string("4111 1111 1111\n1111"), FullWidth("4111111111111111")}) {
    CHECK(CardNumbersIn(form, KnownTestCardNumbers()) ==
          std::vector<std::string>{"4111111111111111"});
  }
  CHECK(CardNumbersIn("4111 11** **** 1111", KnownTestCardNumbers()).empty());

  tillbridge::testing::TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  RingUpSalesFullOfCards(dir.File("pos.db"));
  auto printer = tillbridge::testing::FakePrinter::Tcp();
  const int api_port = FreePort();
  const int tap_port = FreePort();
  {
    std::ofstream ini(dir.File("tillbridge.ini"));
    ini << "[agent]\nstore_id = pci-store\nterminal_id = lane-1\ndata_dir = data\n"
        << "default_region = US\n"
        << "[log]\nlevel = debug\nconsole = false\nfile = data/tillbridge.log\n"
        << "[api]\nenabled = true\nlisten_address = 127.0.0.1\nport = " << api_port << "\n"
        << "[pos]\nenabled = true\nprofile = demo\ndatabase = pos.db\npoll_interval = 100ms\n"
        << "start_from = beginning\ntime_zone = UTC\n"
        << "[printer]\nenabled = true\nmode = tcp\nlisten_address = 127.0.0.1\n"
        << "listen_port = " << tap_port << "\nprinter_host = 127.0.0.1\n"
        << "printer_port_tcp = " << printer->port() << "\n"
        << "templates = " << TILLBRIDGE_SOURCE_DIR << "/examples/receipt-templates\n"
        << "spool_dir = data/printer-spool\ntime_zone = UTC\n";
  }
  auto config = LoadConfig(dir.File("tillbridge.ini"), AllConfigKeys(), {});
  REQUIRE_MESSAGE(config.ok(), config.status().ToString());
  // ConfigureLogging attaches its channels to the loggers that exist; in the
  // executable ServerApplication has made the root logger by then.
  (void)Poco::Logger::root();
  REQUIRE(ConfigureLogging(*config).ok());
  auto runtime = Runtime::Start(*config);
  REQUIRE_MESSAGE(runtime.ok(), runtime.status().ToString());
  store::Store& store = (*runtime)->store();
  auto token = LoadOrCreateApiToken((data / "api-token").string());
  REQUIRE(token.ok());

  // --- The local API ---------------------------------------------------
  // Card numbers in fields a person types are refused, naming the field.
  const std::vector<std::string> description_forms = {
      "4111.1111.1111.1111",    "4111/1111/1111/1111",         "4111_1111_1111_1111",
      "4111  1111  1111  1111", FullWidth("4111111111111111"), "Paid with 5555 5555 5555 4444"};
  for (const std::string& form : description_forms) {
    CAPTURE(form);
    const Reply reply = Call(
        api_port, *token, "POST", "/v1/transactions",
        Sale("R-1", R"(,"lines":[{"description":)" + JsonQuoted(form) + R"(,"total_minor":500}])"));
    CHECK(reply.status == 422);
    CHECK(reply.body.find("\"lines[0].description\"") != std::string::npos);
  }
  Reply reply = Call(api_port, *token, "POST", "/v1/transactions",
                     Sale("R-2", R"(,"cashier_id":"3782 822463 10005")"));
  CHECK(reply.status == 422);
  CHECK(reply.body.find("\"cashier_id\"") != std::string::npos);
  const std::string consent =
      R"({"phone":"(415) 555-0134","purpose":"marketing","granted":true,"method":"keypad",)"
      R"("disclosure_version":"1","cashier_id":)";
  reply = Call(api_port, *token, "POST", "/v1/consents", consent + R"("6011111111111117"})");
  CHECK(reply.status == 422);
  CHECK(reply.body.find("\"cashier_id\"") != std::string::npos);
  reply = Call(api_port, *token, "POST", "/v1/consents",
               consent + R"("c-17","detail":"3530 1113 3330 0000"})");
  CHECK(reply.status == 422);
  reply = Call(api_port, *token, "POST", "/v1/disclosures",
               R"({"purpose":"marketing","version":"2","text":"Card 4111 1111 1111 1111",)"
               R"("frequency":"Up to 4 msgs/month"})");
  CHECK(reply.status == 422);
  CHECK(reply.body.find("\"text\"") != std::string::npos);
  // Errors that quote the request mask what they quote, also when they are
  // kept for an Idempotency-Key replay.
  reply = Call(api_port, *token, "POST", "/v1/transactions",
               Sale("R-3", R"(,"4111111111111111":1)"), "err-unknown-field");
  CHECK(reply.status == 400);
  CHECK(reply.body.find("411111******1111") != std::string::npos);
  reply = Call(api_port, *token, "POST", "/v1/transactions",
               R"({"pos_id":"R-4","revision":5555555555554444,"kind":"sale",)"
               R"("occurred_at":"2026-11-29T12:00:00Z","currency":"USD","total_minor":500})",
               "err-revision");
  CHECK(reply.status == 400);
  CHECK(CardNumbersIn(reply.body, KnownTestCardNumbers()).empty());
  // Ids a POS generates are masked, not refused; so is the Idempotency-Key.
  const std::string sale = Sale("4111111111111111", R"(,"cashier_id":"c-17")");
  reply = Call(api_port, *token, "POST", "/v1/transactions", sale, "5555-5555-5555-4444");
  CHECK(reply.status == 201);
  CHECK(reply.body.find(R"("pos_id":"411111******1111")") != std::string::npos);
  Reply replay = Call(api_port, *token, "POST", "/v1/transactions", sale, "5555-5555-5555-4444");
  CHECK(replay.status == 201);
  CHECK(replay.headers["idempotent-replayed"] == "true");
  CHECK(replay.body == reply.body);
  reply = Call(api_port, *token, "POST", "/v1/transactions", sale);
  CHECK(reply.status == 200);
  CHECK(reply.body.find(R"("duplicate":true)") != std::string::npos);
  reply = Call(api_port, *token, "POST", "/v1/consents", consent + R"("c-17"})", "378282246310005");
  CHECK(reply.status == 201);

  // --- The printer tap -------------------------------------------------
  const std::string receipts = ReceiptsFullOfCards();
  Print(tap_port, receipts);
  // Passthrough: the printer gets every byte unchanged, card numbers too.
  REQUIRE(tillbridge::testing::WaitUntil([&] { return printer->size() >= receipts.size(); }, 10s));
  CHECK(printer->received() == receipts);

  // --- Everything stored -------------------------------------------------
  // 1 API sale, 2 POS sales, 1 printed sale.
  const bool stored = tillbridge::testing::WaitUntil(
      [&] {
        auto count = store.transactions().Count();
        return count.ok() && *count >= 4 &&
               std::filesystem::exists(data / "printer-spool" / "unmatched-receipts.log");
      },
      20s);
  REQUIRE_MESSAGE(stored, "transactions stored: ", store.transactions().Count().value());
  for (const char* source : {"api", "pos", "printer"}) {
    CAPTURE(source);
    CHECK(store.transactions().Cursor(source).value().has_value());
  }
  auto due = store.outbox().Due(1000, 1 << 24);
  REQUIRE(due.ok());
  CHECK(due->size() >= 6);  // sales, coupon redemptions, the consent change
  for (const store::OutboxEvent& event : *due) {
    CAPTURE(event.payload_json);
    CHECK(CardNumbersIn(event.payload_json, KnownTestCardNumbers()).empty());
  }
  // What was stored is there, masked (so the search above had something
  // to look at).
  const std::string dump = tillbridge::testing::DumpDatabase((data / "tillbridge.db").string());
  for (const char* masked :
       {"411111******1111", "Paid with 4111 11** **** 1111", "Kim 5555-55**-****-4444",
        "4111-11**-****-1111", "VISA 4111  11**  ****  1111", "Tarjeta num. 4111 11** ****\n1111",
        "3782 82**** *0005", "Gift card 6011.11**.****.1117"}) {
    CAPTURE(masked);
    CHECK(dump.find(masked) != std::string::npos);
  }
  CHECK(dump.find(FullWidth("3530 11") + "** **** " + FullWidth("0000")) != std::string::npos);
  const std::string log = tillbridge::testing::ReadWholeFile(data / "tillbridge.log");
  CHECK_MESSAGE(log.find("3782_82****_*0005") != std::string::npos, log);
  const std::string unmatched =
      tillbridge::testing::ReadWholeFile(data / "printer-spool" / "unmatched-receipts.log");
  CHECK(unmatched.find("Ref 5555 55** **** 4444") != std::string::npos);

  // --- The whole data folder, running and after a clean stop -------------
  CheckFolder(data, "while running");
  (*runtime)->Stop();
  runtime->reset();
  CheckFolder(data, "after stopping");
}

}  // namespace
}  // namespace tillbridge::agent
