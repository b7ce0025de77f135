// Printer tap benchmark. Prints a table of medians over several runs:
//  - added passthrough latency per chunk, p50/p99, on TCP (POS -> tap ->
//    printer versus POS -> printer directly) and on pseudo-terminals made by
//    socat (POS -> pty -> tap -> pty -> printer versus one pty pair);
//  - ESC/POS decoder throughput in MB/s on text-heavy and image-heavy
//    streams, and extraction speed in receipts/s;
//  - end to end: a 20 MB burst of receipts written by a POS over TCP, from
//    the first byte in until every transaction is committed to the store
//    (forwarding, capture journal, decoding, templates, spool, store), in
//    MB/s and receipts/s.
//
//   build/<dir>/bench/printer_bench [runs]   (needs socat for the pty rows)
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/phone.h"
#include "drivers/printer/escpos_decoder.h"
#include "drivers/printer/printer_tap.h"
#include "drivers/printer/receipt_extractor.h"
#include "drivers/printer/tcp_socket.h"
#include "store/store.h"
#include "store/transaction_log.h"

extern char** environ;

namespace tillbridge::drivers {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kChunks = 2000;
constexpr std::size_t kChunkBytes = 64;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  if (values.empty()) return 0;
  return values[std::min(values.size() - 1, static_cast<std::size_t>(p * values.size()))];
}

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
};

// Writes kChunks chunks on `pos` and times each until `printer` has it all.
Latency MeasureChunks(BytePort& pos, BytePort& printer) {
  std::atomic<bool> never{false};
  std::string chunk = "1 x Oat milk @2.79                    2.79\n";
  chunk.resize(kChunkBytes, ' ');
  std::string buffer(4096, '\0');
  std::vector<double> samples;
  for (int i = 0; i < kChunks; ++i) {
    const auto start = Clock::now();
    if (!pos.Write(chunk, never).ok()) break;
    std::size_t got = 0;
    while (got < chunk.size()) {
      auto n = printer.Read(buffer.data(), buffer.size(), 2000ms);
      if (!n.ok() || *n == 0) return {};
      got += *n;
    }
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return {Percentile(samples, 0.5), Percentile(samples, 0.99)};
}

PrinterTapOptions TapOptions(const std::string& dir) {
  PrinterTapOptions options;
  options.enabled = true;
  options.templates_path = std::string(TILLBRIDGE_SOURCE_DIR) + "/examples/receipt-templates";
  options.spool_dir = dir + "/spool";
  options.tcp.listen_address = "127.0.0.1";
  options.tcp.listen_port = 0;
  options.tcp.printer_host = "127.0.0.1";
  options.serial.reconnect_interval = 50ms;
  return options;
}

// One TCP run: direct latency and latency through the tap.
std::pair<Latency, Latency> TcpRun(const std::string& dir, const PhoneNormalizer& phones) {
  auto printer_listener = ListenTcp("127.0.0.1", 0);
  if (!printer_listener.ok()) return {};
  const int printer_port = (*printer_listener)->port();
  Latency direct, tapped;
  {
    auto pos = ConnectTcp("127.0.0.1", printer_port, 1s);
    auto printer = (*printer_listener)->Accept(1s);
    if (!pos.ok() || !printer.ok() || !*printer) return {};
    direct = MeasureChunks(**pos, **printer);
  }
  PrinterTapOptions options = TapOptions(dir);
  options.tcp.printer_port = printer_port;
  auto tap = PrinterTap::Create(options, phones);
  if (!tap.ok() || !(*tap)->Start().ok()) return {};
  {
    auto pos = ConnectTcp("127.0.0.1", (*tap)->Details().listen_port, 1s);
    auto printer = (*printer_listener)->Accept(2s);
    if (!pos.ok() || !printer.ok() || !*printer) return {};
    tapped = MeasureChunks(**pos, **printer);
  }
  (*tap)->Stop();
  return {direct, tapped};
}

class Socat {
 public:
  Socat(const std::string& a, const std::string& b) : a_(a), b_(b) {
    const std::string left = "pty,raw,echo=0,link=" + a;
    const std::string right = "pty,raw,echo=0,link=" + b;
    std::vector<char*> argv = {const_cast<char*>("socat"), const_cast<char*>(left.c_str()),
                               const_cast<char*>(right.c_str()), nullptr};
    if (::posix_spawnp(&pid_, "socat", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
    for (int i = 0; i < 500 && pid_ > 0; ++i) {
      if (std::filesystem::exists(a) && std::filesystem::exists(b)) break;
      std::this_thread::sleep_for(10ms);
    }
  }
  ~Socat() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  bool ok() const { return pid_ > 0 && std::filesystem::exists(a_) && std::filesystem::exists(b_); }

 private:
  std::string a_, b_;
  pid_t pid_ = -1;
};

std::unique_ptr<BytePort> OpenPty(const std::string& path) {
  SerialSettings settings;
  settings.path = path;
  settings.driver = SerialDriver::kTermios;
  auto port = OpenSerialPort(settings);
  return port.ok() ? std::move(*port) : nullptr;
}

// One pty run: one socat pair directly, then POS pair -> tap -> printer pair.
std::pair<Latency, Latency> PtyRun(const std::string& dir, const PhoneNormalizer& phones) {
  Latency direct, tapped;
  {
    Socat pair(dir + "/d-a", dir + "/d-b");
    if (!pair.ok()) return {};
    auto a = OpenPty(dir + "/d-a");
    auto b = OpenPty(dir + "/d-b");
    if (!a || !b) return {};
    direct = MeasureChunks(*a, *b);
  }
  Socat pos_pair(dir + "/pos-app", dir + "/pos-tap");
  Socat printer_pair(dir + "/printer-tap", dir + "/printer-dev");
  if (!pos_pair.ok() || !printer_pair.ok()) return {};
  PrinterTapOptions options = TapOptions(dir);
  options.mode = TapMode::kSerial;
  options.serial.pos.path = dir + "/pos-tap";
  options.serial.printer.path = dir + "/printer-tap";
  auto tap = PrinterTap::Create(options, phones);
  if (!tap.ok() || !(*tap)->Start().ok()) return {};
  for (int i = 0;
       i < 200 && !((*tap)->Details().printer_connected && (*tap)->Details().pos_connected); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  auto pos = OpenPty(dir + "/pos-app");
  auto printer = OpenPty(dir + "/printer-dev");
  if (!pos || !printer) return {};
  tapped = MeasureChunks(*pos, *printer);
  (*tap)->Stop();
  return {direct, tapped};
}

std::string TextStream(std::size_t bytes) {
  std::string one =
      "\x1b@\x1bt\x13\x1b"
      "a\x01\x1d!\x11"
      "CORNER MARKET\n\x1d!\x00\x1b"
      "a\x00"
      "Receipt: 100101\nDate: 2026-03-14 15:09\n";
  for (int i = 0; i < 20; ++i)
    one += std::to_string(i) + " x Caf\x82 cr\x8ame @3.49              6.98\n";
  one += "TOTAL                                  69.80\nVISA 4111 1111 1111 1111\n";
  one += std::string(
             "\x1dk\x02"
             "000000100101\0",
             16) +
         "\x1dVB\x03";
  std::string stream;
  while (stream.size() < bytes) stream += one;
  return stream;
}

std::string ImageStream(std::size_t bytes) {
  std::string image = std::string("\x1dv0\x00\x48\x00\x00\x04", 8) + std::string(72 * 1024, '\x55');
  std::string one = "Poster\n" + image + "TOTAL 25.00\n\x1dV\x01";
  std::string stream;
  while (stream.size() < bytes) stream += one;
  return stream;
}

double DecodeMbPerSecond(const std::string& stream) {
  ManualClock clock(0);
  EscPosDecoder decoder(clock, DecoderLimits{});
  std::vector<DecodedReceipt> out;
  const auto start = Clock::now();
  for (std::size_t offset = 0; offset < stream.size(); offset += 4096) {
    decoder.Feed(std::string_view(stream).substr(offset, 4096), out);
    out.clear();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stream.size() / 1048576.0 / seconds;
}

double ReceiptsPerSecond(const PhoneNormalizer& phones) {
  auto templates =
      LoadReceiptTemplates(std::string(TILLBRIDGE_SOURCE_DIR) + "/examples/receipt-templates");
  if (!templates.ok()) return 0;
  auto extractor = ReceiptExtractor::Create(std::move(*templates), ExtractorOptions{}, phones);
  if (!extractor.ok()) return 0;
  ManualClock clock(0);
  EscPosDecoder decoder(clock, DecoderLimits{});
  std::vector<DecodedReceipt> receipts;
  decoder.Feed(TextStream(200 * 1024), receipts);
  const auto start = Clock::now();
  for (const auto& receipt : receipts) (void)extractor->Extract(receipt);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return receipts.size() / seconds;
}

// A stream of `count` distinct Corner Market receipts (distinct numbers, so
// the store keeps every one), text only or each with the store's logo as a
// raster image (576 x 120 dots, 8,640 bytes), as most stores print.
std::string DistinctReceipts(std::size_t bytes, bool logo, std::size_t& count) {
  const std::string image =
      std::string("\x1dv0\x00\x48\x00\x78\x00", 8) + std::string(72 * 120, '\x3c');
  std::string stream;
  count = 0;
  while (stream.size() < bytes) {
    stream += "\x1b@\x1bt\x13";
    if (logo) stream += image;
    stream +=
        "\x1b"
        "a\x01\x1d!\x11"
        "CORNER MARKET\n\x1d!\x00\x1b"
        "a\x00";
    stream += "Receipt: " + std::to_string(500000 + count) + "\nDate: 2026-03-14 15:09\n";
    for (int i = 1; i <= 12; ++i) {
      stream += std::to_string(i) + " x Caf\x82 cr\x8ame @3.49              " +
                std::to_string(i * 349 / 100) + "." + (i * 349 % 100 < 10 ? "0" : "") +
                std::to_string(i * 349 % 100) + "\n";
    }
    stream += "TOTAL                                 272.22\nVISA 4111 1111 1111 1111\n";
    stream += "Customer phone: 555-0100\n\x1dVB\x03";
    ++count;
  }
  return stream;
}

struct EndToEnd {
  double spooled_mb_per_second = 0;  // decoded, extracted and spooled
  double mb_per_second = 0;
  double receipts_per_second = 0;
  std::int64_t stored = 0;
};

// POS -> tap (TCP) -> printer, and the tap's transactions into a store by a
// polling loop like the agent's source runner.
EndToEnd EndToEndRun(const std::string& dir, const PhoneNormalizer& phones,
                     const std::string& stream, std::size_t receipts) {
  auto printer_listener = ListenTcp("127.0.0.1", 0);
  if (!printer_listener.ok()) return {};
  std::atomic<bool> done{false};
  std::thread printer([&] {
    // A printer that takes bytes as fast as they come.
    std::unique_ptr<TcpConnection> connection;
    std::string buffer(1 << 16, '\0');
    while (!done) {
      if (!connection) {
        auto accepted = (*printer_listener)->Accept(50ms);
        if (accepted.ok() && *accepted) connection = std::move(*accepted);
        continue;
      }
      auto got = connection->Read(buffer.data(), buffer.size(), 50ms);
      if (!got.ok()) connection.reset();
    }
  });
  PrinterTapOptions options = TapOptions(dir);
  options.tcp.printer_port = (*printer_listener)->port();
  auto tap = PrinterTap::Create(options, phones);
  auto store = store::Store::Open({.path = dir + "/store.db"});
  EndToEnd result;
  if (tap.ok() && store.ok() && (*tap)->Start().ok()) {
    std::atomic<std::int64_t> stored{0};
    std::thread ingest([&] {
      std::string cursor;
      while (!done) {
        auto batch = (*tap)->Poll(cursor, 100ms);
        if (!batch.ok()) continue;
        if (batch->records.empty() && batch->cursor == cursor) continue;
        if (!(*store)->transactions().Ingest("printer", batch->records, batch->cursor).ok()) {
          continue;
        }
        cursor = batch->cursor;
        stored += static_cast<std::int64_t>(batch->records.size());
      }
    });
    const auto start = Clock::now();
    auto pos = ConnectTcp("127.0.0.1", (*tap)->Details().listen_port, 1s);
    if (pos.ok()) {
      std::atomic<bool> never{false};
      for (std::size_t offset = 0; offset < stream.size(); offset += 16384) {
        if (!(*pos)->Write(std::string_view(stream).substr(offset, 16384), never).ok()) break;
      }
      (*pos)->ShutdownWrite();
    }
    const auto deadline = start + 300s;
    bool spooled = false;
    while (stored < static_cast<std::int64_t>(receipts) && Clock::now() < deadline) {
      if (!spooled && (*tap)->Details().transactions >= receipts) {
        spooled = true;
        result.spooled_mb_per_second =
            stream.size() / 1048576.0 / std::chrono::duration<double>(Clock::now() - start).count();
      }
      std::this_thread::sleep_for(1ms);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.stored = stored;
    result.mb_per_second = stream.size() / 1048576.0 / seconds;
    result.receipts_per_second = static_cast<double>(stored) / seconds;
    done = true;
    ingest.join();
    (*tap)->Stop();
  }
  done = true;
  printer.join();
  return result;
}

}  // namespace
}  // namespace tillbridge::drivers

int main(int argc, char** argv) {
  using namespace tillbridge::drivers;
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("tillbridge-printer-bench-" + std::to_string(::getpid())))
                              .string();
  std::filesystem::create_directories(dir);
  tillbridge::PhoneNormalizer phones("US");

  std::vector<double> tcp_direct50, tcp_direct99, tcp_tap50, tcp_tap99;
  std::vector<double> pty_direct50, pty_direct99, pty_tap50, pty_tap99;
  std::vector<double> text_mbs, image_mbs, receipts, e2e_mbs, e2e_receipts, e2e_spooled;
  std::vector<double> logo_mbs, logo_receipts;
  std::int64_t e2e_short = 0;
  std::size_t e2e_count = 0, logo_count = 0;
  const std::string burst = DistinctReceipts(20 * 1024 * 1024, false, e2e_count);
  const std::string logo_burst = DistinctReceipts(20 * 1024 * 1024, true, logo_count);
  const std::string text = TextStream(32 * 1024 * 1024);
  const std::string image = ImageStream(64 * 1024 * 1024);
  for (int run = 0; run < runs; ++run) {
    const std::string run_dir = dir + "/run" + std::to_string(run);
    std::filesystem::create_directories(run_dir);
    auto [td, tt] = TcpRun(run_dir + "-tcp", phones);
    tcp_direct50.push_back(td.p50_us), tcp_direct99.push_back(td.p99_us);
    tcp_tap50.push_back(tt.p50_us), tcp_tap99.push_back(tt.p99_us);
    std::filesystem::create_directories(run_dir + "-pty");
    auto [pd, pt] = PtyRun(run_dir + "-pty", phones);
    pty_direct50.push_back(pd.p50_us), pty_direct99.push_back(pd.p99_us);
    pty_tap50.push_back(pt.p50_us), pty_tap99.push_back(pt.p99_us);
    text_mbs.push_back(DecodeMbPerSecond(text));
    image_mbs.push_back(DecodeMbPerSecond(image));
    receipts.push_back(ReceiptsPerSecond(phones));
    const EndToEnd e2e = EndToEndRun(run_dir + "-e2e", phones, burst, e2e_count);
    e2e_mbs.push_back(e2e.mb_per_second);
    e2e_spooled.push_back(e2e.spooled_mb_per_second);
    e2e_receipts.push_back(e2e.receipts_per_second);
    e2e_short += static_cast<std::int64_t>(e2e_count) - e2e.stored;
    const EndToEnd logo = EndToEndRun(run_dir + "-logo", phones, logo_burst, logo_count);
    logo_mbs.push_back(logo.mb_per_second);
    logo_receipts.push_back(logo.receipts_per_second);
    e2e_short += static_cast<std::int64_t>(logo_count) - logo.stored;
  }
  std::filesystem::remove_all(dir);

  std::printf("printer_bench: medians of %d runs, %d chunks of %zu bytes per latency run\n\n", runs,
              kChunks, kChunkBytes);
  std::printf("%-44s %12s %12s\n", "passthrough latency per chunk (us)", "p50", "p99");
  std::printf("%-44s %12.1f %12.1f\n", "tcp direct POS->printer", Median(tcp_direct50),
              Median(tcp_direct99));
  std::printf("%-44s %12.1f %12.1f\n", "tcp through the tap", Median(tcp_tap50), Median(tcp_tap99));
  std::printf("%-44s %12.1f %12.1f\n", "tcp added by the tap",
              Median(tcp_tap50) - Median(tcp_direct50), Median(tcp_tap99) - Median(tcp_direct99));
  std::printf("%-44s %12.1f %12.1f\n", "pty one socat pair (no tap)", Median(pty_direct50),
              Median(pty_direct99));
  std::printf("%-44s %12.1f %12.1f\n", "pty two socat pairs + tap", Median(pty_tap50),
              Median(pty_tap99));
  std::printf("%-44s %12.1f %12.1f\n", "pty added by the tap (minus 2nd pair)",
              Median(pty_tap50) - 2 * Median(pty_direct50),
              Median(pty_tap99) - 2 * Median(pty_direct99));
  std::printf("\n%-44s %12s\n", "decoder", "median");
  std::printf("%-44s %12.1f\n", "text-heavy ESC/POS (MB/s)", Median(text_mbs));
  std::printf("%-44s %12.1f\n", "image-heavy ESC/POS, GS v 0 (MB/s)", Median(image_mbs));
  std::printf("%-44s %12.0f\n", "extraction with shipped templates (receipts/s)", Median(receipts));
  std::printf("\n%-44s %12s\n", "end to end, POS bytes in -> stored", "median");
  std::printf("%-44s %12.1f\n", "20 MB text receipts, decoded (MB/s)", Median(e2e_spooled));
  std::printf("%-44s %12.1f\n", "20 MB text receipts, stored (MB/s)", Median(e2e_mbs));
  std::printf("%-44s %12.0f\n", "20 MB text receipts, stored (receipts/s)", Median(e2e_receipts));
  std::printf("%-44s %12.1f\n", "20 MB receipts with a logo, stored (MB/s)", Median(logo_mbs));
  std::printf("%-44s %12.0f\n", "20 MB receipts with a logo, stored (receipts/s)",
              Median(logo_receipts));
  std::printf("%-44s %12zu / %zu\n", "receipts per burst (text / logo)", e2e_count, logo_count);
  std::printf("%-44s %12lld\n", "receipts not stored (all runs; must be 0)",
              static_cast<long long>(e2e_short));
  return e2e_short == 0 ? 0 : 1;
}
