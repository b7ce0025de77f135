#include "drivers/printer/printer_tap.h"

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/log.h"
#include "drivers/printer/capture_journal.h"
#include "drivers/printer/passthrough.h"
#include "drivers/printer/receipt_extractor.h"
#include "drivers/printer/receipt_pipeline.h"
#include "drivers/printer/receipt_spool.h"
#include "drivers/printer/unmatched_log.h"

namespace tillbridge::drivers {
namespace {

constexpr std::size_t kMaxBatch = 100;
constexpr std::uint64_t kUnmatchedLogBytes = 10 * 1024 * 1024;
// The journal's checkpoint file follows the store's cursor at most this
// often (it only decides how much is decoded again after a restart).
constexpr std::chrono::seconds kCheckpointInterval{1};
constexpr const char* kLegacySpoolName = "receipts.spool";

// The source cursor the store keeps for the tap:
//   <journal id>:<journal position>:<run id>:<queue sequence>
// The position is where decoding resumes after a restart; the run id and
// sequence tell a running tap which queued transactions the store has.
struct TapCursor {
  std::string journal_id;
  std::uint64_t position = 0;
  std::string run_id;
  std::uint64_t sequence = 0;
};

std::optional<std::uint64_t> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::optional<TapCursor> ParseTapCursor(const std::string& text) {
  std::vector<std::string_view> parts;
  std::string_view rest(text);
  for (std::size_t colon; (colon = rest.find(':')) != std::string_view::npos;) {
    parts.push_back(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
  }
  parts.push_back(rest);
  if (parts.size() != 4) return std::nullopt;
  auto position = ParseNumber(parts[1]);
  auto sequence = ParseNumber(parts[3]);
  if (!position || !sequence || parts[0].empty() || parts[2].empty()) return std::nullopt;
  return TapCursor{std::string(parts[0]), *position, std::string(parts[2]), *sequence};
}

std::string FormatTapCursor(const TapCursor& cursor) {
  return cursor.journal_id + ":" + std::to_string(cursor.position) + ":" + cursor.run_id + ":" +
         std::to_string(cursor.sequence);
}

}  // namespace

// Owns the parts in dependency order: the passthrough feeds the journal;
// the pipeline decodes it with the extractor and the unmatched log.
class PrinterTapImpl {
 public:
  PrinterTapImpl(PrinterTapOptions options, ReceiptExtractor extractor,
                 std::unique_ptr<CaptureJournal> journal,
                 std::unique_ptr<ReceiptSpool> legacy_spool, const Clock& clock)
      : options_(std::move(options)),
        extractor_(std::move(extractor)),
        journal_(std::move(journal)),
        legacy_spool_(std::move(legacy_spool)),
        run_id_(RandomHex(6)),
        unmatched_(options_.spool_dir, kUnmatchedLogBytes),
        pipeline_(clock, options_.command_set, options_.decoder, *journal_, extractor_, unmatched_),
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
    // Forwarding stops first; what it journaled and was not decoded or
    // stored yet is decoded at the next start.
    passthrough_->Stop();
    pipeline_.Stop();
    running_ = false;
  }

  Result<Batch> Poll(const Cursor& cursor, std::chrono::milliseconds wait) {
    if (legacy_spool_) {
      if (auto legacy = PollLegacySpool(cursor)) return std::move(*legacy);
    }
    std::uint64_t acknowledged = 0;
    if (auto parsed = ParseTapCursor(cursor); parsed && parsed->journal_id == journal_->id()) {
      // The store has everything before this position: the journal may
      // forget it.
      FollowStoreCursor(parsed->position);
      if (parsed->run_id == run_id_) acknowledged = parsed->sequence;
    }
    auto decoded = pipeline_.Take(acknowledged, kMaxBatch, wait);
    Batch batch;
    if (!decoded) {
      batch.cursor = cursor;
      return batch;
    }
    batch.records = std::move(decoded->transactions);
    batch.cursor = FormatTapCursor(
        {journal_->id(), decoded->resume_position, run_id_, decoded->last_sequence});
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
    health.parse_dropped_bytes = parse.parse_dropped_bytes;
    health.decode_backlog_bytes = parse.decode_backlog_bytes;
    health.invalid_phone_receipts = parse.invalid_phones;
    health.loyalty_numbers = parse.loyalty_numbers;
    health.command_set = parse.command_set.empty()
                             ? std::string(CommandSetName(options_.command_set))
                             : parse.command_set;
    health.card_numbers_masked = parse.card_numbers_masked;
    health.decoded_not_stored = parse.queued;
    health.unmatched_log = unmatched_.path();
    health.last_error = forward.last_error;
    health.last_problem = parse.last_problem;
    return health;
  }

  const PrinterTapOptions& options() const { return options_; }

 private:
  void FollowStoreCursor(std::uint64_t position) {
    const auto now = std::chrono::steady_clock::now();
    if (position <= checkpoint_ || now - checkpoint_at_ < kCheckpointInterval) return;
    // After a restart the store may be ahead of where decoding resumed (the
    // checkpoint file lags the store by up to a second): wait until the
    // decoder has passed it.
    if (position > journal_->read_position()) return;
    const Status committed = journal_->Commit(position);
    if (!committed.ok()) {
      LogWarning("printer", "capture journal checkpoint: " + committed.message());
      return;
    }
    checkpoint_ = position;
    checkpoint_at_ = now;
  }

  // Transactions an older version spooled and the store has not yet taken
  // are handed over first; then the old spool file is retired.
  std::optional<Batch> PollLegacySpool(const Cursor& cursor) {
    auto after = legacy_spool_->ParseCursor(cursor);
    if (after.ok()) {
      auto records = legacy_spool_->ReadAfter(*after, kMaxBatch, std::chrono::milliseconds(0));
      if (records.ok() && !records->empty()) {
        Batch batch;
        batch.cursor = legacy_spool_->CursorFor(records->back().first);
        for (auto& [seq, txn] : *records) batch.records.push_back(std::move(txn));
        return batch;
      }
    }
    const std::string path =
        (std::filesystem::path(options_.spool_dir) / kLegacySpoolName).string();
    legacy_spool_.reset();
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    LogInfo("printer", "the receipt spool of an earlier version is fully stored; removed " + path);
    return std::nullopt;
  }

  PrinterTapOptions options_;
  ReceiptExtractor extractor_;
  std::unique_ptr<CaptureJournal> journal_;
  std::unique_ptr<ReceiptSpool> legacy_spool_;  // Poll's thread only
  const std::string run_id_;
  UnmatchedReceiptLog unmatched_;
  ReceiptPipeline pipeline_;
  std::unique_ptr<Passthrough> passthrough_;
  std::atomic<bool> running_{false};
  std::uint64_t checkpoint_ = 0;                           // Poll's thread only
  std::chrono::steady_clock::time_point checkpoint_at_{};  // Poll's thread only
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
  extractor_options.zoneinfo_dir = options.zoneinfo_dir;
  auto extractor = ReceiptExtractor::Create(std::move(*templates), extractor_options, phones);
  if (!extractor.ok()) return extractor.status();
  CaptureJournalOptions journal_options;
  journal_options.dir = (std::filesystem::path(options.spool_dir) / "capture").string();
  journal_options.max_backlog_bytes = options.capture_journal_bytes;
  journal_options.idle_gap = options.decoder.idle_cut_timeout;
  auto journal = CaptureJournal::Open(journal_options);
  if (!journal.ok())
    return Status(journal.status().code(), "printer.spool_dir: " + journal.status().message());
  std::unique_ptr<ReceiptSpool> legacy_spool;
  std::error_code error;
  if (std::filesystem::exists(std::filesystem::path(options.spool_dir) / kLegacySpoolName, error)) {
    auto spool = ReceiptSpool::Open(options.spool_dir);
    if (!spool.ok())
      return Status(spool.status().code(), "printer.spool_dir: " + spool.status().message());
    legacy_spool = std::move(*spool);
  }
  auto impl = std::make_unique<PrinterTapImpl>(options, std::move(*extractor), std::move(*journal),
                                               std::move(legacy_spool), clock);
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
  auto count = [&](std::string key, std::string label, std::uint64_t value, std::string note) {
    SourceFact fact{std::move(key), std::move(label), std::to_string(value), {}};
    fact.number = static_cast<std::int64_t>(value);
    if (!note.empty()) fact.text += " " + note;
    health.facts.push_back(std::move(fact));
  };
  health.facts.push_back({"command_set", "command set", details.command_set, {}});
  count("receipts", "receipts decoded", details.receipts, "");
  count("transactions", "sales, refunds and voids", details.transactions, "");
  count("unmatched_receipts", "unmatched receipts", details.unmatched_receipts,
        details.unmatched_receipts > 0 ? "(kept in " + details.unmatched_log + ")" : "");
  count("skipped_receipts", "skipped (reports, no sale)", details.skipped_receipts, "");
  count("invalid_phone_receipts", "receipts with an invalid phone", details.invalid_phone_receipts,
        "");
  count("loyalty_numbers", "receipts with a loyalty number", details.loyalty_numbers, "");
  count("decode_backlog_bytes", "decode backlog", details.decode_backlog_bytes,
        "bytes printed, not yet decoded");
  count("not_decoded_bytes", "printed but never decoded", details.parse_dropped_bytes,
        details.parse_dropped_bytes > 0 ? "bytes (capture journal full or disk failing)" : "bytes");
  count("decoded_not_stored", "decoded, not yet stored", details.decoded_not_stored, "");
  count("card_numbers_masked", "card numbers masked", details.card_numbers_masked, "");
  if (!details.last_problem.empty()) {
    health.facts.push_back({"last_problem", "last problem", details.last_problem, {}});
  }
  return health;
}

PrinterTapHealth PrinterTap::Details() const { return impl_->Details(); }

}  // namespace tillbridge::drivers
