#include "tests/drivers/printer/printer_fixtures.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/drivers/printer/node_fixtures.h"
#include "tests/test_util.h"

extern char** environ;

namespace tillbridge::testing {
namespace {

using namespace std::chrono_literals;

std::vector<ReceiptFixture> Generate() {
  const std::string out = RunFixtureScript("make-receipts.mjs");
  Poco::JSON::Parser parser;
  auto manifest = parser.parse(ReadFileBytes(out + "/manifest.json")).extract<Poco::JSON::Array::Ptr>();
  std::vector<ReceiptFixture> fixtures;
  for (unsigned i = 0; i < manifest->size(); ++i) {
    auto item = manifest->getObject(i);
    ReceiptFixture f;
    const std::string file = item->getValue<std::string>("file");
    f.name = file.substr(0, file.size() - 4);
    f.bytes = ReadFileBytes(out + "/" + file);
    f.unmatched = item->has("unmatched") && item->getValue<bool>("unmatched");
    f.no_cut = item->has("no_cut") && item->getValue<bool>("no_cut");
    f.card = item->optValue<std::string>("card", "");
    f.loyalty = item->optValue<std::string>("loyalty", "");
    if (item->has("points_earned")) f.points_earned = item->getValue<std::int64_t>("points_earned");
    if (item->has("points_balance")) {
      f.points_balance = item->getValue<std::int64_t>("points_balance");
    }
    if (!f.unmatched) {
      f.receipt_number = item->getValue<std::string>("receipt_number");
      f.kind = item->getValue<std::string>("kind");
      f.total_minor = item->getValue<std::int64_t>("total_minor");
      f.tax_minor = item->getValue<std::int64_t>("tax_minor");
      f.lines = item->getValue<std::size_t>("lines");
      f.phone = item->getValue<std::string>("phone");
      auto coupons = item->getArray("coupons");
      for (unsigned c = 0; c < coupons->size(); ++c)
        f.coupons.push_back(coupons->getElement<std::string>(c));
    }
    fixtures.push_back(std::move(f));
  }
  return fixtures;
}

}  // namespace

const std::vector<ReceiptFixture>& EncodedReceipts() {
  static const std::vector<ReceiptFixture> fixtures = Generate();
  return fixtures;
}

drivers::PrinterTapOptions BaseOptions(const TempDir& dir) {
  drivers::PrinterTapOptions options;
  options.enabled = true;
  options.source_name = "printer";
  options.templates_path = std::string(TILLBRIDGE_SOURCE_DIR) + "/examples/receipt-templates";
  options.spool_dir = dir.File("spool");
  options.time_zone = "UTC";
  options.decoder.idle_cut_timeout = 300ms;
  options.tcp.listen_address = "127.0.0.1";
  options.tcp.listen_port = 0;
  options.tcp.printer_host = "127.0.0.1";
  options.tcp.connect_timeout = 1000ms;
  options.tcp.linger = 500ms;
  options.serial.reconnect_interval = 100ms;
  return options;
}

std::vector<store::Transaction> Consumer::Until(std::size_t count,
                                                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (records_.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto batch = tap_.Poll(cursor_, 100ms);
    REQUIRE_MESSAGE(batch.ok(), batch.status().ToString());
    for (auto& record : batch->records) records_.push_back(std::move(record));
    cursor_ = batch->cursor;
  }
  return records_;
}

const ReceiptFixture& FixtureNamed(const std::string& prefix) {
  for (const auto& f : EncodedReceipts()) {
    if (f.name.rfind(prefix, 0) == 0) return f;
  }
  FAIL("no fixture " << prefix);
  throw std::logic_error("unreachable");
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string StatusResponder::Feed(std::string_view bytes) {
  std::string replies;
  for (char raw : bytes) {
    const auto c = static_cast<unsigned char>(raw);
    switch (state_) {
      case 1:
        state_ = c == 0x04 ? 2 : (c == 0x10 ? 1 : 0);
        continue;
      case 2:
        if (c >= 1 && c <= 4) replies.push_back(static_cast<char>(0x12 + c));
        state_ = 0;
        continue;
      case 3:
        state_ = c == 'r' ? 4 : (c == 0x1d ? 3 : 0);
        continue;
      case 4:
        if (c == 1 || c == 2 || c == 49 || c == 50) replies.push_back('\0');
        state_ = 0;
        continue;
      default:
        break;
    }
    if (c == 0x10) state_ = 1;
    if (c == 0x1d) state_ = 3;
  }
  return replies;
}

SocatPair::SocatPair(std::string a, std::string b) : a_(std::move(a)), b_(std::move(b)) {
  const std::string left = "pty,raw,echo=0,link=" + a_;
  const std::string right = "pty,raw,echo=0,link=" + b_;
  std::vector<char*> argv = {const_cast<char*>("socat"), const_cast<char*>(left.c_str()),
                             const_cast<char*>(right.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "socat", nullptr, nullptr, argv.data(), environ);
  REQUIRE_MESSAGE(rc == 0, "cannot start socat (install it with scripts/install-deps.sh test)");
  pid_ = pid;
  REQUIRE_MESSAGE(
      WaitUntil([&] { return std::filesystem::exists(a_) && std::filesystem::exists(b_); }, 5000ms),
      "socat did not create " << a_ << " and " << b_);
}

SocatPair::~SocatPair() { Stop(); }

void SocatPair::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  WaitUntil([&] { return !std::filesystem::exists(a_) && !std::filesystem::exists(b_); }, 2000ms);
}

std::unique_ptr<FakePrinter> FakePrinter::Tcp(int port) {
  auto printer = std::make_unique<FakePrinter>();
  auto listener = drivers::ListenTcp("127.0.0.1", port);
  REQUIRE_MESSAGE(listener.ok(), listener.status().message());
  printer->listener_ = std::move(*listener);
  printer->port_ = printer->listener_->port();
  FakePrinter* self = printer.get();
  printer->thread_ = std::thread([self] {
    while (!self->stop_) {
      auto accepted = self->listener_->Accept(50ms);
      if (!accepted.ok() || !*accepted) continue;
      ++self->connections_;
      auto& connection = **accepted;
      (void)connection.Write(kAsbBytes, self->stop_);
      self->Serve(connection);
    }
  });
  return printer;
}

std::unique_ptr<FakePrinter> FakePrinter::Serial(const std::string& path) {
  auto printer = std::make_unique<FakePrinter>();
  drivers::SerialSettings settings;
  settings.path = path;
  settings.driver = drivers::SerialDriver::kTermios;
  auto port = drivers::OpenSerialPort(settings);
  REQUIRE_MESSAGE(port.ok(), port.status().message());
  printer->serial_ = std::move(*port);
  FakePrinter* self = printer.get();
  printer->thread_ = std::thread([self] { self->Serve(*self->serial_); });
  return printer;
}

void FakePrinter::Serve(drivers::BytePort& port) {
  StatusResponder responder;
  std::string buffer(64 * 1024, '\0');
  std::size_t this_connection = 0;
  while (!stop_) {
    auto got = port.Read(buffer.data(), buffer.size(), 50ms);
    if (!got.ok()) return;
    if (*got == 0) continue;
    const std::string_view chunk(buffer.data(), *got);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      received_.append(chunk);
    }
    this_connection += chunk.size();
    const std::string replies = responder.Feed(chunk);
    if (!replies.empty() && !port.Write(replies, stop_).ok()) return;
    if (drop_after_ > 0 && this_connection >= drop_after_) {
      drop_after_ = 0;
      return;
    }
  }
}

FakePrinter::~FakePrinter() { Stop(); }

void FakePrinter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  listener_.reset();
  serial_.reset();
}

std::size_t FakePrinter::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_.size();
}

std::string FakePrinter::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

}  // namespace tillbridge::testing
