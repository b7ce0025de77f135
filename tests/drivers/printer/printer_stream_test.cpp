// The printer tap end to end with real streams: receipts from the npm
// encoder go from a "POS" through the tap to a "printer" over real TCP
// sockets and real pseudo-terminals (socat), and come out as transactions.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "common/digest.h"
#include "drivers/printer/printer_tap.h"
#include "drivers/printer/tcp_socket.h"
#include "store/store.h"
#include "store/transaction_log.h"
#include "tests/drivers/printer/printer_fixtures.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

using namespace std::chrono_literals;
using testing::EncodedReceipts;
using testing::FakePrinter;
using testing::WaitUntil;
using testing::BaseOptions;
using testing::Consumer;

// All fixture receipts in order; the no-cut one goes last so the idle timeout
// (and not the next receipt's bytes) ends it.
std::string AllReceipts() {
  std::string all;
  for (const auto& f : EncodedReceipts()) {
    if (!f.no_cut) all += f.bytes;
  }
  for (const auto& f : EncodedReceipts()) {
    if (f.no_cut) all += f.bytes;
  }
  return all;
}

std::size_t MatchedCount() {
  std::size_t n = 0;
  for (const auto& f : EncodedReceipts()) n += f.unmatched ? 0 : 1;
  return n;
}

// A POS that prints `bytes` over one TCP connection in uneven chunks and
// collects what comes back until the tap closes the connection.
struct PosResult {
  bool connected = false;
  bool write_ok = true;
  std::string received;
};

PosResult PrintOverTcp(int port, const std::string& bytes,
                       std::chrono::milliseconds wait_close = 5000ms) {
  PosResult result;
  auto connection = ConnectTcp("127.0.0.1", port, 1000ms);
  if (!connection.ok()) return result;
  result.connected = true;
  auto& pos = **connection;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::string buffer(65536, '\0');
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = pos.Read(buffer.data(), buffer.size(), 50ms);
      if (!got.ok()) break;
      result.received.append(buffer.data(), *got);
    }
    done = true;
  });
  std::atomic<bool> never{false};
  std::size_t offset = 0;
  unsigned seed = 7;
  while (offset < bytes.size() && result.write_ok) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t size = std::min<std::size_t>(1 + (seed >> 8) % 9000, bytes.size() - offset);
    result.write_ok = pos.Write(std::string_view(bytes).substr(offset, size), never).ok();
    offset += size;
  }
  pos.ShutdownWrite();
  WaitUntil([&] { return done.load(); }, wait_close);
  pos.Reset();
  reader.join();
  return result;
}

std::string ExpectedReplies(const std::string& sent) {
  testing::StatusResponder responder;
  return responder.Feed(sent);
}

void CheckTransactions(const std::vector<store::Transaction>& records) {
  std::map<std::string, const store::Transaction*> by_id;
  for (const auto& r : records) by_id[r.pos_id] = &r;
  for (const auto& f : EncodedReceipts()) {
    if (f.unmatched) continue;
    CAPTURE(f.name);
    REQUIRE(by_id.count(f.receipt_number) == 1);
    const store::Transaction& txn = *by_id[f.receipt_number];
    CHECK(store::TransactionKindName(txn.kind) == f.kind);
    CHECK(txn.total_minor == f.total_minor);
    CHECK(txn.tax_minor == f.tax_minor);
    CHECK(txn.lines.size() == f.lines);
    CHECK(txn.customer_phone == f.phone);
    CHECK(txn.coupon_codes == f.coupons);
    CHECK(txn.loyalty_number == f.loyalty);
    CHECK(txn.loyalty_points_earned == f.points_earned);
    CHECK(txn.loyalty_balance == f.points_balance);
  }
}

std::string Digits(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

// No file under `dir` contains a printed card number, with or without its
// separators.
void CheckNoCardNumbers(const std::filesystem::path& dir) {
  std::vector<std::string> cards;
  for (const auto& f : EncodedReceipts()) {
    if (!f.card.empty()) {
      cards.push_back(f.card);
      cards.push_back(Digits(f.card));
    }
  }
  REQUIRE(cards.size() >= 6);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    ++files;
    for (const auto& card : cards) {
      CAPTURE(entry.path().string());
      CHECK(content.str().find(card) == std::string::npos);
    }
  }
  CHECK(files > 0);
}

TEST_CASE("tcp: receipts reach the printer unchanged, status returns, transactions are stored") {
  testing::TempDir dir;
  auto printer = FakePrinter::Tcp();
  PrinterTapOptions options = BaseOptions(dir);
  options.tcp.printer_port = printer->port();
  PhoneNormalizer phones("US");
  auto tap = PrinterTap::Create(options, phones);
  REQUIRE_MESSAGE(tap.ok(), tap.status().ToString());
  REQUIRE((*tap)->Start().ok());
  const int port = (*tap)->Details().listen_port;

  std::string sent = AllReceipts();
  // status queries a POS driver sends between jobs: DLE EOT 1..4, GS r 1
  sent.insert(0, "\x10\x04\x01\x10\x04\x04");
  sent += "\x10\x04\x02\x1dr\x01";
  const PosResult pos = PrintOverTcp(port, sent);
  REQUIRE(pos.connected);
  REQUIRE(WaitUntil([&] { return printer->size() >= sent.size(); }, 10s));
  CHECK(Sha256Hex(printer->received()) == Sha256Hex(sent));
  CHECK(pos.received == testing::kAsbBytes + ExpectedReplies(sent));
  CHECK(ExpectedReplies(sent).size() >= 4);

  Consumer consumer(**tap);
  const auto records = consumer.Until(MatchedCount(), 15s);
  REQUIRE(records.size() == MatchedCount());
  CheckTransactions(records);

  // the agent hands the batch to the store with the cursor
  auto store = store::Store::Open({.path = dir.File("store.db")});
  REQUIRE(store.ok());
  REQUIRE((*store)->transactions().Ingest("printer", records, consumer.cursor()).ok());
  CHECK(*(*store)->transactions().Count() == static_cast<std::int64_t>(MatchedCount()));

  const PrinterTapHealth health = (*tap)->Details();
  CHECK(health.unmatched_receipts == 1);
  CHECK(health.transactions == MatchedCount());
  CHECK(health.bytes_to_printer == sent.size());
  CHECK(health.card_numbers_masked >= 4);
  CHECK(health.parse_drops == 0);
  (*tap)->Stop();
  store->reset();
  CheckNoCardNumbers(dir.path());
  std::ifstream unmatched(health.unmatched_log);
  std::stringstream log;
  log << unmatched.rdbuf();
  CHECK(log.str().find("X-REPORT SHIFT 3") != std::string::npos);
}

TEST_CASE("tcp: a 20 MB burst passes byte for byte and every receipt in it is decoded") {
  testing::TempDir dir;
  auto printer = FakePrinter::Tcp();
  PrinterTapOptions options = BaseOptions(dir);
  options.tcp.printer_port = printer->port();
  PhoneNormalizer phones("US");
  auto tap = PrinterTap::Create(options, phones);
  REQUIRE(tap.ok());
  REQUIRE((*tap)->Start().ok());
  std::string sent;
  int copies = 0;
  while (sent.size() < 20 * 1024 * 1024 + 1) {
    sent += AllReceipts();
    ++copies;
  }
  const auto started = std::chrono::steady_clock::now();
  const PosResult pos = PrintOverTcp((*tap)->Details().listen_port, sent, 30s);
  REQUIRE(pos.connected);
  REQUIRE(WaitUntil([&] { return printer->size() >= sent.size(); }, 60s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("forwarded " << sent.size() / 1048576.0 << " MB in " << seconds << " s");
  CHECK(printer->size() == sent.size());
  CHECK(Sha256Hex(printer->received()) == Sha256Hex(sent));
  Consumer consumer(**tap);
  // every copy yields each cut receipt; the no-cut one merges into the next
  // copy, and the last one is ended by the end of the connection
  const std::size_t expected = copies * (MatchedCount() - 1) + 1;
  const auto records = consumer.Until(expected, 120s);
  CHECK(records.size() == expected);
  CHECK((*tap)->Details().parse_drops == 0);
  CHECK((*tap)->Details().parse_dropped_bytes == 0);
  CHECK(WaitUntil([&] { return (*tap)->Details().decode_backlog_bytes == 0; }, 10s));
  // once the store has them all (the agent polls with the cursor it
  // committed), the journal forgets what it decoded
  std::this_thread::sleep_for(1100ms);
  REQUIRE((*tap)->Poll(consumer.cursor(), 0ms).ok());
  std::uint64_t journal_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("spool/capture"))) {
    if (entry.path().extension() == ".seg") journal_bytes += entry.file_size();
  }
  CHECK(journal_bytes < 16 * 1024 * 1024);  // at most the segment being written
}

TEST_CASE("tcp: each POS connection is its own receipt, cut or not") {
  testing::TempDir dir;
  auto printer = FakePrinter::Tcp();
  PrinterTapOptions options = BaseOptions(dir);
  options.tcp.printer_port = printer->port();
  options.decoder.idle_cut_timeout = 30s;  // far longer than the test: only the connections split
  PhoneNormalizer phones("US");
  auto tap = PrinterTap::Create(options, phones);
  REQUIRE(tap.ok());
  REQUIRE((*tap)->Start().ok());
  const int port = (*tap)->Details().listen_port;
  const std::string first = testing::FixtureNamed("09-").bytes;  // no cut
  std::string second = first;
  const auto at = second.find("100107");
  REQUIRE(at != std::string::npos);
  second.replace(at, 6, "100108");
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(PrintOverTcp(port, first).connected);
  std::this_thread::sleep_for(300ms);
  REQUIRE(PrintOverTcp(port, second).connected);
  Consumer consumer(**tap);
  const auto records = consumer.Until(2, 10s);
  REQUIRE(records.size() == 2);
  CHECK(records[0].pos_id == "100107");
  CHECK(records[1].pos_id == "100108");
  CHECK(records[0].total_minor == 108);
  CHECK(records[1].total_minor == 108);
  CHECK(std::chrono::steady_clock::now() - started < 20s);  // not by the idle timeout
  CHECK((*tap)->Details().receipts == 2);
}

TEST_CASE("tcp: status facts tell unmatched receipts, invalid phones and loyalty numbers") {
  testing::TempDir dir;
  auto printer = FakePrinter::Tcp();
  PrinterTapOptions options = BaseOptions(dir);
  options.tcp.printer_port = printer->port();
  PhoneNormalizer phones("US");
  auto tap = PrinterTap::Create(options, phones);
  REQUIRE(tap.ok());
  REQUIRE((*tap)->Start().ok());
  std::string bad_phone = testing::FixtureNamed("01-").bytes;
  const auto at = bad_phone.find("(415) 555-0134");
  REQUIRE(at != std::string::npos);
  bad_phone.replace(at, 14, "(000) 000-0000");
  const auto at_number = bad_phone.find("100101");
  REQUIRE(at_number != std::string::npos);
  bad_phone.replace(at_number, 6, "100191");
  REQUIRE(PrintOverTcp(
              (*tap)->Details().listen_port,
              bad_phone + testing::FixtureNamed("10-").bytes + testing::FixtureNamed("04-").bytes)
              .connected);
  Consumer consumer(**tap);
  REQUIRE(consumer.Until(2, 10s).size() == 2);
  // The job's end (the connection closing) reaches the journal after its
  // last receipt was decoded: wait for the decoder to catch up with it.
  REQUIRE(WaitUntil(
      [&] {
        const PrinterTapHealth now = (*tap)->Details();
        return now.receipts == 3 && now.decode_backlog_bytes == 0;
      },
      10s));
  const PrinterTapHealth details = (*tap)->Details();
  CHECK(details.unmatched_receipts == 1);
  CHECK(details.invalid_phone_receipts == 1);
  CHECK(details.loyalty_numbers == 2);
  CHECK(details.command_set == "escpos");
  std::map<std::string, SourceFact> facts;
  for (const auto& fact : (*tap)->Health().facts) facts[fact.key] = fact;
  CHECK(facts["unmatched_receipts"].number == 1);
  CHECK(facts["unmatched_receipts"].text.find("unmatched-receipts.log") != std::string::npos);
  CHECK(facts["invalid_phone_receipts"].number == 1);
  CHECK(facts["decode_backlog_bytes"].number == 0);
  CHECK(facts["command_set"].text == "escpos");
}

TEST_CASE("tcp: with the printer unplugged the POS connection is reset, and recovers") {
  testing::TempDir dir;
  int printer_port = 0;
  {
    auto probe = FakePrinter::Tcp();  // find a free port, then free it
    printer_port = probe->port();
  }
  PrinterTapOptions options = BaseOptions(dir);
  options.tcp.printer_port = printer_port;
  PhoneNormalizer phones("US");
  auto tap = PrinterTap::Create(options, phones);
  REQUIRE(tap.ok());
  REQUIRE((*tap)->Start().ok());
  const int port = (*tap)->Details().listen_port;
  const auto& receipt = testing::FixtureNamed("01-");

  const PosResult refused = PrintOverTcp(port, "\x10\x04\x01" + receipt.bytes);
  CHECK(refused.received.empty());  // no fake status reply, no ASB
  CHECK(WaitUntil([&] { return (*tap)->Details().refused_pos_connections >= 1; }, 5s));
  CHECK_FALSE((*tap)->Details().printer_connected);
  CHECK((*tap)->Details().last_error.find("unreachable") != std::string::npos);
  CHECK((*tap)->Details().bytes_to_printer == 0);

  // the printer comes back; the POS prints again
  auto printer = FakePrinter::Tcp(printer_port);
  const PosResult ok = PrintOverTcp(port, receipt.bytes);
  REQUIRE(WaitUntil([&] { return printer->size() >= receipt.bytes.size(); }, 5s));
  CHECK(printer->received() == receipt.bytes);
  CHECK(ok.received == testing::kAsbBytes);
  CHECK((*tap)->Details().printer_connected);

  // the printer drops mid-job: the POS sees its connection end
  printer->DropAfter(1000);
  const PosResult dropped = PrintOverTcp(port, testing::FixtureNamed("07-").bytes);
  // at most the printer's own ASB came back, nothing made up by the tap
  CHECK(testing::kAsbBytes.rfind(dropped.received, 0) == 0);
  const std::size_t after_drop = printer->size();
  CHECK(after_drop < receipt.bytes.size() + testing::FixtureNamed("07-").bytes.size());
  // and the next job goes through again
  const PosResult again = PrintOverTcp(port, receipt.bytes);
  CHECK(again.received == testing::kAsbBytes);
  REQUIRE(WaitUntil([&] { return printer->size() >= after_drop + receipt.bytes.size(); }, 5s));
  CHECK(printer->received().substr(after_drop) == receipt.bytes);
}

TEST_CASE("tcp: the POS reconnecting, garbage, truncated commands and very long lines") {
  testing::TempDir dir;
  auto printer = FakePrinter::Tcp();
  PrinterTapOptions options = BaseOptions(dir);
  options.tcp.printer_port = printer->port();
  PhoneNormalizer phones("US");
  auto tap = PrinterTap::Create(options, phones);
  REQUIRE(tap.ok());
  REQUIRE((*tap)->Start().ok());
  const int port = (*tap)->Details().listen_port;

  std::string garbage;
  unsigned seed = 99;
  for (int i = 0; i < 50000; ++i) {
    seed = seed * 1103515245u + 12345u;
    garbage.push_back(static_cast<char>(seed >> 16));
  }
  // each job is its own connection, as many POS drivers do
  std::vector<std::string> jobs = {
      garbage,
      // a raster image header promising 64 KB, cut off by the end of the job
      std::string("\x1dv0\x00\xff\x00\xff\x00", 8) + "only a little",
      testing::FixtureNamed("01-").bytes,
      std::string(200000, 'L') + "\n" + testing::FixtureNamed("02-").bytes,
      "\x1dk\x04"
      "ABC" +
          testing::FixtureNamed("05-").bytes,
      testing::FixtureNamed("07-").bytes,
  };
  std::string all;
  for (const auto& job : jobs) {
    const PosResult result = PrintOverTcp(port, job);
    REQUIRE(result.connected);
    all += job;
    REQUIRE(WaitUntil([&] { return printer->size() >= all.size(); }, 10s));
  }
  CHECK(printer->received() == all);
  CHECK(printer->connections() == jobs.size());

  Consumer consumer(**tap);
  const auto records = consumer.Until(4, 10s);
  std::map<std::string, std::int64_t> totals;
  for (const auto& r : records) totals[r.pos_id] = r.total_minor;
  for (const char* name : {"01-", "02-", "05-", "07-"}) {
    const auto& f = testing::FixtureNamed(name);
    CAPTURE(f.name);
    REQUIRE(totals.count(f.receipt_number) == 1);
    CHECK(totals[f.receipt_number] == f.total_minor);
  }
  (*tap)->Stop();
  CheckNoCardNumbers(dir.path());
}

// Serial setup: POS <-pty-> tap <-pty-> printer, each pty pair made by socat.
struct SerialRig {
  testing::TempDir dir;
  std::string pos_app = dir.File("pos-app"), pos_tap = dir.File("pos-tap");
  std::string printer_tap = dir.File("printer-tap"), printer_dev = dir.File("printer-dev");
  std::unique_ptr<testing::SocatPair> pos_pair, printer_pair;
  std::unique_ptr<FakePrinter> printer;
  PhoneNormalizer phones{"US"};
  std::unique_ptr<PrinterTap> tap;
  std::unique_ptr<BytePort> pos;

  SerialRig() {
    pos_pair = std::make_unique<testing::SocatPair>(pos_app, pos_tap);
    printer_pair = std::make_unique<testing::SocatPair>(printer_tap, printer_dev);
    printer = FakePrinter::Serial(printer_dev);
    PrinterTapOptions options = BaseOptions(dir);
    options.mode = TapMode::kSerial;
    options.serial.pos.path = pos_tap;
    options.serial.printer.path = printer_tap;
    options.serial.pos.baud = options.serial.printer.baud = 115200;
    auto created = PrinterTap::Create(options, phones);
    REQUIRE_MESSAGE(created.ok(), created.status().ToString());
    tap = std::move(*created);
    REQUIRE(tap->Start().ok());
    REQUIRE(WaitUntil(
        [&] { return tap->Details().printer_connected && tap->Details().pos_connected; }, 5s));
    OpenPos();
  }
  void OpenPos() {
    SerialSettings settings;
    settings.path = pos_app;
    auto opened = OpenSerialPort(settings);
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    pos = std::move(*opened);
  }
  void Print(const std::string& bytes) {
    std::atomic<bool> never{false};
    for (std::size_t offset = 0; offset < bytes.size(); offset += 4096) {
      REQUIRE(pos->Write(std::string_view(bytes).substr(offset, 4096), never).ok());
    }
  }
  std::string ReadPos(std::size_t want, std::chrono::milliseconds timeout) {
    std::string got;
    std::string buffer(4096, '\0');
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
      auto n = pos->Read(buffer.data(), buffer.size(), 50ms);
      REQUIRE(n.ok());
      got.append(buffer.data(), *n);
    }
    return got;
  }
};

TEST_CASE("pty: receipts and status bytes pass through socat pty pairs unchanged") {
  SerialRig rig;
  std::string sent = "\x10\x04\x01" + AllReceipts() + "\x10\x04\x04\x1dr\x01";
  rig.Print(sent);
  REQUIRE(WaitUntil([&] { return rig.printer->size() >= sent.size(); }, 20s));
  CHECK(Sha256Hex(rig.printer->received()) == Sha256Hex(sent));
  const std::string replies = ExpectedReplies(sent);
  CHECK(rig.ReadPos(replies.size(), 5s) == replies);

  Consumer consumer(*rig.tap);
  const auto records = consumer.Until(MatchedCount(), 15s);
  REQUIRE(records.size() == MatchedCount());
  CheckTransactions(records);
  rig.tap->Stop();
  CheckNoCardNumbers(rig.dir.path());
}

TEST_CASE("pty: more than 10 MB pass byte for byte") {
  SerialRig rig;
  std::string sent;
  while (sent.size() < 10 * 1024 * 1024 + 1) sent += AllReceipts();
  const auto started = std::chrono::steady_clock::now();
  std::thread writer([&] { rig.Print(sent); });
  const bool all_there = WaitUntil([&] { return rig.printer->size() >= sent.size(); }, 50s);
  writer.join();
  REQUIRE(all_there);
  MESSAGE("pty forwarded "
          << sent.size() / 1048576.0 << " MB in "
          << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
          << " s");
  CHECK(rig.printer->size() == sent.size());
  CHECK(Sha256Hex(rig.printer->received()) == Sha256Hex(sent));
}

TEST_CASE("pty: printer unplugged and plugged back; the POS side reconnecting") {
  SerialRig rig;
  const auto& first = testing::FixtureNamed("01-");
  const auto& second = testing::FixtureNamed("02-");
  const auto& third = testing::FixtureNamed("03-");
  rig.Print(first.bytes);
  REQUIRE(WaitUntil([&] { return rig.printer->size() == first.bytes.size(); }, 5s));

  // unplug: the printer's pty disappears
  rig.printer->Stop();
  rig.printer_pair->Stop();
  REQUIRE(WaitUntil([&] { return !rig.tap->Details().printer_connected; }, 5s));
  rig.Print("\x10\x04\x01" + second.bytes);
  REQUIRE(
      WaitUntil([&] { return rig.tap->Details().bytes_not_delivered >= second.bytes.size(); }, 5s));
  CHECK(rig.ReadPos(1, 300ms).empty());  // nobody answers the status query

  // plug back in
  rig.printer_pair = std::make_unique<testing::SocatPair>(rig.printer_tap, rig.printer_dev);
  rig.printer = FakePrinter::Serial(rig.printer_dev);
  REQUIRE(WaitUntil([&] { return rig.tap->Details().printer_connected; }, 5s));
  rig.Print(third.bytes + "\x10\x04\x01");
  const bool arrived = WaitUntil([&] { return rig.printer->size() >= third.bytes.size() + 3; }, 5s);
  INFO("printer got " << rig.printer->size() << " of " << third.bytes.size() + 3
                      << " bytes; to printer " << rig.tap->Details().bytes_to_printer << ", lost "
                      << rig.tap->Details().bytes_not_delivered << ", error "
                      << rig.tap->Details().last_error);
  REQUIRE(arrived);
  CHECK(rig.printer->received() == third.bytes + "\x10\x04\x01");
  CHECK(rig.ReadPos(1, 3s) == "\x13");

  // the POS side goes away and comes back (a virtual COM pair restarted)
  rig.pos.reset();
  rig.pos_pair->Stop();
  REQUIRE(WaitUntil([&] { return !rig.tap->Details().pos_connected; }, 5s));
  rig.pos_pair = std::make_unique<testing::SocatPair>(rig.pos_app, rig.pos_tap);
  REQUIRE(WaitUntil([&] { return rig.tap->Details().pos_connected; }, 5s));
  rig.OpenPos();
  const auto& fourth = testing::FixtureNamed("05-");
  rig.Print(fourth.bytes);
  REQUIRE(WaitUntil(
      [&] { return rig.printer->size() >= third.bytes.size() + 3 + fourth.bytes.size(); }, 5s));

  // every receipt the POS printed became a transaction, even the one the
  // unplugged printer never got
  Consumer consumer(*rig.tap);
  const auto records = consumer.Until(4, 10s);
  std::map<std::string, std::int64_t> totals;
  for (const auto& r : records) totals[r.pos_id] = r.total_minor;
  for (const auto* f : {&first, &second, &third, &fourth}) {
    CAPTURE(f->name);
    CHECK(totals[f->receipt_number] == f->total_minor);
  }
}

TEST_CASE("the tap refuses bad setups with clear errors") {
  testing::TempDir dir;
  PhoneNormalizer phones("US");
  PrinterTapOptions options = BaseOptions(dir);
  options.templates_path = dir.File("none.tbt");
  auto missing = PrinterTap::Create(options, phones);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().rfind("printer.templates: cannot read receipt templates", 0) ==
        0);

  // a listen port already taken fails Start, not silently
  auto taken = ListenTcp("127.0.0.1", 0);
  REQUIRE(taken.ok());
  options = BaseOptions(dir);
  options.tcp.listen_port = (*taken)->port();
  auto tap = PrinterTap::Create(options, phones);
  REQUIRE(tap.ok());
  const Status started = (*tap)->Start();
  CHECK_FALSE(started.ok());
  CHECK(started.message().find("cannot listen") != std::string::npos);
  CHECK_FALSE((*tap)->Health().connected);

  // a serial port that does not exist is retried, and reported
  options = BaseOptions(dir);
  options.mode = TapMode::kSerial;
  options.serial.pos.path = dir.File("no-such-pos");
  options.serial.printer.path = dir.File("no-such-printer");
  auto serial = PrinterTap::Create(options, phones);
  REQUIRE(serial.ok());
  REQUIRE((*serial)->Start().ok());
  CHECK(WaitUntil(
      [&] { return (*serial)->Details().last_error.find("no-such") != std::string::npos; }, 3s));
  CHECK_FALSE((*serial)->Health().connected);
}

}  // namespace
}  // namespace tillbridge::drivers
