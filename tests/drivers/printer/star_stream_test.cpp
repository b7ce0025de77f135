// Star printers end to end: receipts from two real encoders decoded with
// `printer.command_set` star and auto, whatever the chunking, and sent through
// the tap over real TCP sockets and socat pseudo-terminals.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "drivers/printer/printer_tap.h"
#include "drivers/printer/receipt_decoder.h"
#include "drivers/printer/tcp_socket.h"
#include "store/model.h"
#include "tests/drivers/printer/printer_fixtures.h"
#include "tests/drivers/printer/star_fixtures.h"
#include "tests/test_util.h"

namespace tillbridge::drivers {
namespace {

using namespace std::chrono_literals;
using testing::FakePrinter;
using testing::StarReceiptFixture;
using testing::StarReceipts;
using testing::WaitUntil;

struct Decoded {
  std::vector<DecodedReceipt> receipts;
  std::string command_set;  // as reported before the stream ended
};

// Decodes `bytes` as one stream fed in pieces of `chunk` bytes (0: all at
// once), followed by an idle gap and the end of the stream.
Decoded Decode(CommandSet set, std::string_view bytes, std::size_t chunk) {
  ManualClock clock(1'700'000'000'000);
  const DecoderLimits limits;
  auto decoder = MakeReceiptDecoder(set, clock, limits);
  Decoded result;
  const std::size_t step = chunk == 0 ? bytes.size() : chunk;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    decoder->Feed(bytes.substr(at, step), result.receipts);
  }
  clock.Advance(limits.idle_cut_timeout);
  decoder->CheckIdle(result.receipts);
  result.command_set = std::string(decoder->command_set());
  decoder->EndStream(result.receipts);
  return result;
}

// Text must hold no control byte but line breaks, no replacement character,
// and none of the command letters a misread Star command would leave.
void CheckNoCommandLeaks(const std::string& text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    CHECK_MESSAGE((byte >= 0x20 || byte == '\n'), "control byte " << int{byte} << " in text");
  }
  for (std::string_view leak : {"yS", "yD", "yP", "xS", "xD", "xP", "*r", "\xEF\xBF\xBD"}) {
    CHECK_MESSAGE(text.find(leak) == std::string::npos, "\"" << leak << "\" in text");
  }
}

std::size_t ExpectedReceipts(const StarReceiptFixture& f) {
  return f.receipts + (f.no_cut ? 1 : 0);
}

TEST_CASE("star: encoder receipts decode the same under star and auto, whatever the chunks") {
  std::size_t from_each_encoder[2] = {0, 0};
  for (const StarReceiptFixture& f : StarReceipts()) {
    CAPTURE(f.name);
    ++from_each_encoder[f.encoder == "node-thermal-printer" ? 1 : 0];
    const Decoded reference = Decode(CommandSet::kStar, f.bytes, 0);
    REQUIRE(reference.receipts.size() == ExpectedReceipts(f));
    for (CommandSet set : {CommandSet::kStar, CommandSet::kAuto}) {
      for (std::size_t chunk : {0u, 1u, 7u, 500u}) {
        CAPTURE(CommandSetName(set));
        CAPTURE(chunk);
        const Decoded got = Decode(set, f.bytes, chunk);
        CHECK(got.command_set == "star");
        REQUIRE(got.receipts.size() == reference.receipts.size());
        for (std::size_t i = 0; i < got.receipts.size(); ++i) {
          CHECK(got.receipts[i].text == reference.receipts[i].text);
          CHECK(got.receipts[i].end == reference.receipts[i].end);
        }
      }
    }
    // one receipt per cut, with the text the encoder was given
    std::string all;
    for (const DecodedReceipt& receipt : reference.receipts) {
      CheckNoCommandLeaks(receipt.text);
      CHECK(receipt.end == (f.no_cut ? ReceiptEnd::kIdle : ReceiptEnd::kCut));
      all += receipt.text + "\n";
    }
    for (const std::string& word : f.words) {
      CHECK_MESSAGE(all.find(word) != std::string::npos, "missing \"" << word << "\" in\n" << all);
    }
    const std::string number_line =
        (f.kind == "sale" ? f.receipt_number
                          : f.receipt_number.substr(0, f.receipt_number.find('/')));
    CHECK(reference.receipts[0].text.find(number_line) != std::string::npos);
    if (!f.second_receipt_number.empty()) {
      REQUIRE(reference.receipts.size() == 2);
      CHECK(reference.receipts[1].text.find("Receipt: " + f.second_receipt_number) !=
            std::string::npos);
    }
  }
  CHECK(from_each_encoder[0] >= 6);
  CHECK(from_each_encoder[1] >= 3);
}

TEST_CASE("auto: the ESC/POS encoder receipts are still recognised as ESC/POS") {
  for (const auto& f : testing::EncodedReceipts()) {
    CAPTURE(f.name);
    const Decoded escpos = Decode(CommandSet::kEscPos, f.bytes, 0);
    for (std::size_t chunk : {0u, 1000u}) {
      const Decoded automatic = Decode(CommandSet::kAuto, f.bytes, chunk);
      CHECK(automatic.command_set == "escpos");
      REQUIRE(automatic.receipts.size() == escpos.receipts.size());
      for (std::size_t i = 0; i < escpos.receipts.size(); ++i) {
        CHECK(automatic.receipts[i].text == escpos.receipts[i].text);
      }
    }
  }
}

TEST_CASE("auto: Star and ESC/POS connections alternating on one decoder") {
  ManualClock clock(1'700'000'000'000);
  auto decoder = MakeReceiptDecoder(CommandSet::kAuto, clock, {});
  const auto& star = StarReceipts();
  const auto& escpos = testing::EncodedReceipts();
  for (std::size_t i = 0; i < 4; ++i) {
    for (bool is_star : {true, false}) {
      const std::string& bytes = is_star ? star[i].bytes : escpos[i].bytes;
      const Decoded alone = Decode(is_star ? CommandSet::kStar : CommandSet::kEscPos, bytes, 0);
      std::vector<DecodedReceipt> got;
      decoder->Feed(bytes, got);
      CHECK(decoder->command_set() == (is_star ? "star" : "escpos"));
      decoder->EndStream(got);
      // until the next connection is recognised, status shows the last set
      CHECK(decoder->command_set() == (is_star ? "star" : "escpos"));
      REQUIRE(got.size() == alone.receipts.size());
      for (std::size_t r = 0; r < got.size(); ++r) CHECK(got[r].text == alone.receipts[r].text);
    }
  }
}

// All Star receipts as one job; the one without a cut goes last so that the
// end of the job, not the next receipt, ends it.
std::string AllStarReceipts() {
  std::string all;
  for (const auto& f : StarReceipts()) {
    if (!f.no_cut) all += f.bytes;
  }
  for (const auto& f : StarReceipts()) {
    if (f.no_cut) all += f.bytes;
  }
  return all;
}

std::size_t StarTransactionCount() {
  std::size_t count = 0;
  for (const auto& f : StarReceipts()) count += ExpectedReceipts(f);
  return count;
}

PrinterTapOptions StarTapOptions(const testing::TempDir& dir, CommandSet set) {
  PrinterTapOptions options = testing::BaseOptions(dir);
  options.command_set = set;
  return options;
}

// Polls the tap until `count` transactions arrived or `timeout` passed.
std::vector<store::Transaction> CollectTransactions(PrinterTap& tap, std::size_t count,
                                                    std::chrono::milliseconds timeout) {
  return testing::Consumer(tap).Until(count, timeout);
}

void CheckStarTransactions(const std::vector<store::Transaction>& records) {
  std::map<std::string, const store::Transaction*> by_id;
  for (const auto& record : records) by_id[record.pos_id] = &record;
  for (const auto& f : StarReceipts()) {
    CAPTURE(f.name);
    REQUIRE(by_id.count(f.receipt_number) == 1);
    const store::Transaction& txn = *by_id[f.receipt_number];
    CHECK(store::TransactionKindName(txn.kind) == f.kind);
    CHECK(txn.total_minor == f.total_minor);
    CHECK(txn.tax_minor == f.tax_minor);
    CHECK(txn.lines.size() == f.lines);
    CHECK(txn.coupon_codes == f.coupons);
    if (!f.second_receipt_number.empty()) CHECK(by_id.count(f.second_receipt_number) == 1);
  }
}

// A POS that prints `bytes` over one TCP connection in uneven pieces, then
// collects what comes back until the tap closes the connection.
std::string PrintOverTcp(int port, const std::string& bytes) {
  auto connection = ConnectTcp("127.0.0.1", port, 1000ms);
  REQUIRE_MESSAGE(connection.ok(), connection.status().ToString());
  TcpConnection& pos = **connection;
  const std::atomic<bool> never{false};
  std::size_t size = 1;
  for (std::size_t at = 0; at < bytes.size(); at += size) {
    size = std::min<std::size_t>(1 + (at * 7919) % 3000, bytes.size() - at);
    REQUIRE(pos.Write(std::string_view(bytes).substr(at, size), never).ok());
  }
  pos.ShutdownWrite();
  std::string received;
  std::string buffer(4096, '\0');
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto got = pos.Read(buffer.data(), buffer.size(), 50ms);
    if (!got.ok()) break;
    received.append(buffer.data(), *got);
  }
  pos.Reset();
  return received;
}

TEST_CASE("tcp: Star receipts pass unchanged and become transactions, with star and auto") {
  const std::string sent = AllStarReceipts();
  for (CommandSet set : {CommandSet::kStar, CommandSet::kAuto}) {
    CAPTURE(CommandSetName(set));
    testing::TempDir dir;
    auto printer = FakePrinter::Tcp();
    PrinterTapOptions options = StarTapOptions(dir, set);
    options.tcp.printer_port = printer->port();
    PhoneNormalizer phones("US");
    auto tap = PrinterTap::Create(options, phones);
    REQUIRE_MESSAGE(tap.ok(), tap.status().ToString());
    REQUIRE((*tap)->Start().ok());

    const std::string back = PrintOverTcp((*tap)->Details().listen_port, sent);
    REQUIRE(WaitUntil([&] { return printer->size() >= sent.size(); }, 10s));
    CHECK(Sha256Hex(printer->received()) == Sha256Hex(sent));
    testing::StatusResponder responder;
    CHECK(back == testing::kAsbBytes + responder.Feed(sent));

    const auto records = CollectTransactions(**tap, StarTransactionCount(), 15s);
    CHECK(records.size() == StarTransactionCount());
    CheckStarTransactions(records);
    const PrinterTapHealth health = (*tap)->Details();
    CHECK(health.unmatched_receipts == 0);
    CHECK(health.transactions == StarTransactionCount());
    (*tap)->Stop();
  }
}

TEST_CASE("pty: Star receipts pass through socat pty pairs unchanged and are decoded (auto)") {
  testing::TempDir dir;
  const std::string pos_app = dir.File("pos-app"), pos_tap = dir.File("pos-tap");
  const std::string printer_tap = dir.File("printer-tap"), printer_dev = dir.File("printer-dev");
  testing::SocatPair pos_pair(pos_app, pos_tap);
  testing::SocatPair printer_pair(printer_tap, printer_dev);
  auto printer = FakePrinter::Serial(printer_dev);
  PrinterTapOptions options = StarTapOptions(dir, CommandSet::kAuto);
  options.mode = TapMode::kSerial;
  options.serial.pos.path = pos_tap;
  options.serial.printer.path = printer_tap;
  options.serial.pos.baud = options.serial.printer.baud = 115200;
  PhoneNormalizer phones("US");
  auto tap = PrinterTap::Create(options, phones);
  REQUIRE_MESSAGE(tap.ok(), tap.status().ToString());
  REQUIRE((*tap)->Start().ok());
  REQUIRE(WaitUntil(
      [&] { return (*tap)->Details().printer_connected && (*tap)->Details().pos_connected; }, 5s));
  SerialSettings settings;
  settings.path = pos_app;
  auto pos = OpenSerialPort(settings);
  REQUIRE_MESSAGE(pos.ok(), pos.status().ToString());

  const std::string sent = AllStarReceipts();
  const std::atomic<bool> never{false};
  for (std::size_t at = 0; at < sent.size(); at += 4096) {
    REQUIRE((*pos)->Write(std::string_view(sent).substr(at, 4096), never).ok());
  }
  REQUIRE(WaitUntil([&] { return printer->size() >= sent.size(); }, 20s));
  CHECK(Sha256Hex(printer->received()) == Sha256Hex(sent));

  // one long serial stream: the no-cut receipt at its end ends by idle
  const auto records = CollectTransactions(**tap, StarTransactionCount(), 15s);
  CHECK(records.size() == StarTransactionCount());
  CheckStarTransactions(records);
  CHECK((*tap)->Details().unmatched_receipts == 0);
  (*tap)->Stop();
  printer->Stop();
}

}  // namespace
}  // namespace tillbridge::drivers
