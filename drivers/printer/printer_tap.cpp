#include "drivers/printer/printer_tap.h"

#include <filesystem>

#include "common/log.h"
#include "drivers/printer/passthrough.h"
#include "drivers/printer/receipt_extractor.h"
#include "drivers/printer/receipt_pipeline.h"
#include "drivers/printer/receipt_spool.h"
#include "drivers/printer/unmatched_log.h"

namespace tillbridge::drivers {
namespace {

constexpr std::size_t kMaxBatch = 100;
constexpr std::uint64_t kUnmatchedLogBytes = 10 * 1024 * 1024;

}  // namespace

// Owns the parts in dependency order: the passthrough feeds the pipeline,
// which uses the extractor, spool and unmatched log.
class PrinterTapImpl {
 public:
  PrinterTapImpl(PrinterTapOptions options, ReceiptExtractor extractor,
                 std::unique_ptr<ReceiptSpool> spool, const Clock& clock)
      : options_(std::move(options)),
        extractor_(std::move(extractor)),
        spool_(std::move(spool)),
        unmatched_(options_.spool_dir, kUnmatchedLogBytes),
        pipeline_(clock, options_.decoder, options_.parse_queue_bytes, extractor_, *spool_,
                  unmatched_),
        passthrough_(options_.mode == TapMode::kSerial
                         ? MakeSerialPassthrough(options_.serial, pipeline_)
                         : MakeTcpPassthrough(options_.tcp, pipeline_)) {}

  ~PrinterTapImpl() { Stop(); }

  Status Start() {
    if (running_) return Status::Ok();
    pipeline_.Start();
    Status started = passthrough_->Start();
    if (!started.ok()) {
      pipeline_.Stop();
      return started;
    }
    running_ = true;
    return Status::Ok();
  }

  void Stop() {
    if (!running_) return;
    // Forwarding stops first so the pipeline sees every byte before it ends.
    passthrough_->Stop();
    pipeline_.Stop();
    running_ = false;
  }

  Result<Batch> Poll(const Cursor& cursor, std::chrono::milliseconds wait) {
    auto after = spool_->ParseCursor(cursor);
    if (!after.ok()) return after.status();
    acknowledged_ = *after;
    spool_->EnsureSeqAbove(*after);
    const Status compacted = spool_->Compact(*after);
    if (!compacted.ok()) LogWarning("printer", "spool compaction failed: " + compacted.message());
    auto records = spool_->ReadAfter(*after, kMaxBatch, wait);
    if (!records.ok()) return records.status();
    Batch batch;
    batch.cursor = records->empty() ? cursor : spool_->CursorFor(records->back().first);
    for (auto& [seq, txn] : *records) batch.records.push_back(std::move(txn));
    return batch;
  }

  PrinterTapHealth Details() const {
    PrinterTapHealth health;
    const PassthroughHealth forward = passthrough_->Health();
    const PipelineStats parse = pipeline_.Stats();
    health.running = running_;
    health.printer_connected = forward.printer_connected;
    health.pos_connected = forward.pos_connected;
    health.listen_port = passthrough_->listen_port();
    health.bytes_to_printer = forward.bytes_to_printer;
    health.bytes_to_pos = forward.bytes_to_pos;
    health.bytes_not_delivered = forward.bytes_not_delivered;
    health.refused_pos_connections = forward.refused_sessions;
    health.receipts = parse.receipts;
    health.transactions = parse.transactions;
    health.unmatched_receipts = parse.unmatched;
    health.skipped_receipts = parse.skipped;
    health.parse_drops = parse.parse_drops;
    health.card_numbers_masked = parse.card_numbers_masked;
    const std::uint64_t last = spool_->last_seq();
    const std::uint64_t acknowledged = acknowledged_;
    health.spooled_not_ingested = last > acknowledged ? last - acknowledged : 0;
    health.unmatched_log = unmatched_.path();
    health.last_error = forward.last_error;
    health.last_problem = parse.last_problem;
    return health;
  }

  const PrinterTapOptions& options() const { return options_; }

 private:
  PrinterTapOptions options_;
  ReceiptExtractor extractor_;
  std::unique_ptr<ReceiptSpool> spool_;
  UnmatchedReceiptLog unmatched_;
  ReceiptPipeline pipeline_;
  std::unique_ptr<Passthrough> passthrough_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> acknowledged_{0};
};

Result<std::unique_ptr<PrinterTap>> PrinterTap::Create(const PrinterTapOptions& options,
                                                       const PhoneNormalizer& phones,
                                                       const Clock& clock) {
  auto templates = LoadReceiptTemplates(options.templates_path);
  if (!templates.ok())
    return Status::InvalidArgument("printer.templates: " + templates.status().message());
  ExtractorOptions extractor_options;
  extractor_options.source = options.source_name;
  extractor_options.currency = options.currency;
  extractor_options.time_zone = options.time_zone;
  auto extractor = ReceiptExtractor::Create(std::move(*templates), extractor_options, phones);
  if (!extractor.ok()) return extractor.status();
  auto spool = ReceiptSpool::Open(options.spool_dir);
  if (!spool.ok())
    return Status(spool.status().code(), "printer.spool_dir: " + spool.status().message());
  auto impl =
      std::make_unique<PrinterTapImpl>(options, std::move(*extractor), std::move(*spool), clock);
  return std::make_unique<PrinterTap>(std::move(impl));
}

PrinterTap::PrinterTap(std::unique_ptr<PrinterTapImpl> impl) : impl_(std::move(impl)) {}

PrinterTap::~PrinterTap() = default;

Status PrinterTap::Start() { return impl_->Start(); }

void PrinterTap::Stop() { impl_->Stop(); }

std::string_view PrinterTap::Name() const { return impl_->options().source_name; }

Status PrinterTap::Open() { return Status::Ok(); }

Result<Batch> PrinterTap::Poll(const Cursor& cursor, std::chrono::milliseconds wait) {
  return impl_->Poll(cursor, wait);
}

SourceHealth PrinterTap::Health() const {
  const PrinterTapHealth details = impl_->Details();
  SourceHealth health;
  health.connected = details.running && details.printer_connected;
  health.last_error = details.last_error;
  if (health.last_error.empty() && !details.running) health.last_error = "printer tap not started";
  return health;
}

PrinterTapHealth PrinterTap::Details() const { return impl_->Details(); }

}  // namespace tillbridge::drivers
