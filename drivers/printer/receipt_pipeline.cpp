#include "drivers/printer/receipt_pipeline.h"

#include <algorithm>

#include "common/log.h"

namespace tillbridge::drivers {
namespace {

constexpr std::chrono::milliseconds kMaxIdleCheck{250};
// Journal bytes decoded per round: large enough for few rounds in a burst,
// small enough to bound memory.
constexpr std::size_t kReadBytes = 1024 * 1024;
// How often the journal is made durable against power loss (a crash of the
// agent alone loses nothing: the bytes are in the operating system's cache).
constexpr std::chrono::seconds kSyncInterval{1};
// How long the POS must be quiet before bytes held back for card-number
// masking are journaled anyway.
constexpr std::chrono::milliseconds kHeldQuiet{500};

Counter& ReceiptCounter(const char* outcome) {
  return MetricsRegistry::Global().GetCounter(
      std::string("tillbridge_printer_receipts_total{outcome=\"") + outcome + "\"}",
      "Receipts decoded by the printer tap, by outcome");
}

}  // namespace

ReceiptPipeline::ReceiptPipeline(const Clock& clock, CommandSet command_set, DecoderLimits limits,
                                 CaptureJournal& journal, const ReceiptExtractor& extractor,
                                 UnmatchedReceiptLog& unmatched, std::size_t max_queued)
    : decoder_(MakeReceiptDecoder(command_set, clock, limits)),
      idle_check_(std::clamp<std::chrono::milliseconds>(
          limits.idle_cut_timeout / 4, std::chrono::milliseconds(10), kMaxIdleCheck)),
      journal_(journal),
      extractor_(extractor),
      unmatched_(unmatched),
      max_queued_(std::max<std::size_t>(1, max_queued)),
      metric_transactions_(ReceiptCounter("transaction")),
      metric_unmatched_(ReceiptCounter("unmatched")),
      metric_skipped_(ReceiptCounter("skipped")),
      metric_drops_(MetricsRegistry::Global().GetCounter(
          "tillbridge_printer_parse_drops_total",
          "Chunks of the POS stream printed but not decoded because the capture journal was "
          "full or its disk refused them")),
      metric_cards_(MetricsRegistry::Global().GetCounter(
          "tillbridge_printer_card_numbers_masked_total", "Card numbers masked in receipt text")) {}

ReceiptPipeline::~ReceiptPipeline() { Stop(); }

void ReceiptPipeline::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void ReceiptPipeline::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  taken_.notify_all();
  queued_.notify_all();
  journal_.Interrupt();
  if (thread_.joinable()) thread_.join();
  // Bytes held back for card-number masking go to the journal, to be
  // decoded at the next start.
  journal_.FlushHeld(std::chrono::milliseconds(0));
  (void)journal_.Sync();
}

void ReceiptPipeline::OnPosBytes(std::string_view bytes) { journal_.AppendBytes(bytes); }

void ReceiptPipeline::OnPosStreamBreak() { journal_.AppendBreak(); }

PipelineStats ReceiptPipeline::Stats() const {
  PipelineStats stats;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats = stats_;
    stats.queued = queued_transactions_;
  }
  const CaptureJournalStats journal = journal_.Stats();
  stats.parse_drops = journal.dropped_chunks;
  stats.parse_dropped_bytes = journal.dropped_bytes;
  stats.decode_backlog_bytes = journal.backlog_bytes;
  stats.card_numbers_masked += journal.card_numbers_masked;
  if (!journal.last_error.empty()) stats.last_problem = "capture journal: " + journal.last_error;
  return stats;
}

std::optional<DecodedBatch> ReceiptPipeline::Take(std::uint64_t acknowledged, std::size_t max,
                                                  std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  bool dropped = false;
  while (!queue_.empty() && queue_.front().sequence <= acknowledged) {
    if (queue_.front().transaction) --queued_transactions_;
    queue_.pop_front();
    dropped = true;
  }
  if (dropped) taken_.notify_all();
  queued_.wait_for(lock, wait, [this] { return stop_ || !queue_.empty(); });
  if (queue_.empty()) return std::nullopt;
  DecodedBatch batch;
  for (const Item& item : queue_) {
    if (item.transaction) {
      if (batch.transactions.size() == max) break;
      batch.transactions.push_back(*item.transaction);
    }
    batch.resume_position = item.resume_position;
    batch.last_sequence = item.sequence;
  }
  return batch;
}

void ReceiptPipeline::Enqueue(std::vector<store::Transaction> transactions, std::uint64_t before,
                              std::optional<std::uint64_t> after) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // A transaction may resume at `after` only if it is the last one of the
    // round: resuming there re-creates nothing after it. Earlier ones must
    // resume at `before`, or a crash between storing them and storing the
    // last one would skip the last one.
    for (std::size_t i = 0; i < transactions.size(); ++i) {
      const bool last = i + 1 == transactions.size();
      queue_.push_back(
          {next_sequence_++, last && after ? *after : before, std::move(transactions[i])});
      ++queued_transactions_;
    }
    if (transactions.empty()) {
      // Receipts that were no sale (or none at all): the journal may still
      // be trimmed past them.
      if (!after || *after <= last_resume_) return;
      queue_.push_back({next_sequence_++, *after, std::nullopt});
    }
    last_resume_ = queue_.back().resume_position;
  }
  queued_.notify_all();
}

void ReceiptPipeline::Run() {
  std::vector<DecodedReceipt> receipts;
  // Where decoding may resume to re-create everything not yet queued: a
  // point at which the decoder had nothing pending.
  std::uint64_t safe = journal_.read_position();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_resume_ = safe;
  }
  std::uint64_t drops_seen = journal_.Stats().dropped_chunks;
  auto last_sync = std::chrono::steady_clock::now();
  for (;;) {
    {
      // While the store is not taking transactions, decoding pauses: the
      // journal keeps the bytes and memory stays bounded.
      std::unique_lock<std::mutex> lock(mutex_);
      taken_.wait_for(lock, idle_check_,
                      [this] { return stop_ || queued_transactions_ < max_queued_; });
      if (stop_) return;
      if (queued_transactions_ >= max_queued_) continue;
    }
    auto records = journal_.Read(kReadBytes, idle_check_);
    if (!records.ok()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.last_problem = "capture journal: " + records.status().message();
      }
      LogError("printer", "capture journal: " + records.status().message());
      std::this_thread::sleep_for(kMaxIdleCheck);
      continue;
    }
    for (const CaptureRecord& record : *records) {
      if (record.stream_break) {
        decoder_->EndStream(receipts);
      } else if (record.idle_gap) {
        decoder_->EndIdle(receipts);
      } else {
        decoder_->Feed(record.bytes, receipts);
      }
    }
    if (records->empty()) {
      // Caught up: the clock now tells how long the POS has been quiet.
      // (Behind, the journal's idle records tell it instead: a pause in
      // decoding is no pause in printing.)
      decoder_->CheckIdle(receipts);
      // A stream that stopped on digits (no newline, no cut, connection
      // still open) is not left held back for masking forever.
      journal_.FlushHeld(kHeldQuiet);
    }

    std::vector<store::Transaction> transactions;
    for (const auto& receipt : receipts) {
      if (auto transaction = HandleReceipt(receipt))
        transactions.push_back(std::move(*transaction));
    }
    receipts.clear();
    const std::uint64_t before = safe;
    std::optional<std::uint64_t> after;
    if (!decoder_->HasPendingReceipt()) {
      after = journal_.read_position();
      safe = *after;
    }
    Enqueue(std::move(transactions), before, after);

    const std::uint64_t drops = journal_.Stats().dropped_chunks;
    if (drops > drops_seen) {
      metric_drops_.Increment(static_cast<std::int64_t>(drops - drops_seen));
      drops_seen = drops;
    }
    // `auto` forgets the command set at each new connection until it sees
    // the next one's bytes; status shows the last one recognised.
    if (!decoder_->command_set().empty()) {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.command_set = std::string(decoder_->command_set());
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_sync > kSyncInterval) {
      (void)journal_.Sync();
      last_sync = now;
    }
  }
}

std::optional<store::Transaction> ReceiptPipeline::HandleReceipt(const DecodedReceipt& receipt) {
  ExtractedReceipt extracted = extractor_.Extract(receipt);
  std::string problem;
  if (!extracted.problems.empty()) problem = extracted.problems.back();
  metric_cards_.Increment(extracted.card_numbers_masked);
  const bool has_loyalty = !extracted.loyalty_number.empty();
  std::optional<store::Transaction> transaction;
  switch (extracted.outcome) {
    case ExtractOutcome::kTransaction:
      transaction = std::move(extracted.transaction);
      metric_transactions_.Increment();
      break;
    case ExtractOutcome::kSkipped:
      metric_skipped_.Increment();
      break;
    case ExtractOutcome::kUnmatched: {
      metric_unmatched_.Increment();
      const Status logged = unmatched_.Append(receipt.last_byte_at, problem, extracted.masked_text);
      if (!logged.ok()) problem = logged.message();
      LogInfo("printer", "receipt kept as unmatched: " + problem);
      break;
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.receipts;
  stats_.card_numbers_masked += static_cast<std::uint64_t>(extracted.card_numbers_masked);
  if (extracted.outcome == ExtractOutcome::kTransaction) {
    ++stats_.transactions;
    if (extracted.invalid_phone) ++stats_.invalid_phones;
    if (has_loyalty) ++stats_.loyalty_numbers;
  }
  if (extracted.outcome == ExtractOutcome::kSkipped) ++stats_.skipped;
  if (extracted.outcome == ExtractOutcome::kUnmatched) ++stats_.unmatched;
  if (!problem.empty()) stats_.last_problem = problem;
  return transaction;
}

}  // namespace tillbridge::drivers
