#include "drivers/printer/receipt_pipeline.h"

#include <algorithm>

#include "common/log.h"

namespace tillbridge::drivers {
namespace {

constexpr std::size_t kMaxUnspooled = 1000;
constexpr std::chrono::milliseconds kMaxIdleCheck{250};

Counter& ReceiptCounter(const char* outcome) {
  return MetricsRegistry::Global().GetCounter(
      std::string("tillbridge_printer_receipts_total{outcome=\"") + outcome + "\"}",
      "Receipts decoded by the printer tap, by outcome");
}

}  // namespace

ReceiptPipeline::ReceiptPipeline(const Clock& clock, DecoderLimits limits, std::size_t queue_bytes,
                                 const ReceiptExtractor& extractor, ReceiptSpool& spool,
                                 UnmatchedReceiptLog& unmatched)
    : decoder_(clock, limits),
      queue_limit_(queue_bytes),
      idle_check_(std::clamp<std::chrono::milliseconds>(
          limits.idle_cut_timeout / 4, std::chrono::milliseconds(10), kMaxIdleCheck)),
      extractor_(extractor),
      spool_(spool),
      unmatched_(unmatched),
      metric_transactions_(ReceiptCounter("transaction")),
      metric_unmatched_(ReceiptCounter("unmatched")),
      metric_skipped_(ReceiptCounter("skipped")),
      metric_drops_(MetricsRegistry::Global().GetCounter(
          "tillbridge_printer_parse_drops_total",
          "Chunks of the POS stream forwarded but not decoded because the decoder fell behind")),
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
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReceiptPipeline::OnPosBytes(std::string_view bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queued_bytes_ + bytes.size() > queue_limit_) {
      ++stats_.parse_drops;
      stats_.parse_dropped_bytes += bytes.size();
      metric_drops_.Increment();
      gap_ = true;
      return;
    }
    if (gap_) {
      // The decoder must not join the bytes on both sides of a hole.
      queue_.push_back({std::string(), true});
      gap_ = false;
    }
    queue_.push_back({std::string(bytes), false});
    queued_bytes_ += bytes.size();
  }
  wake_.notify_one();
}

void ReceiptPipeline::OnPosStreamBreak() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({std::string(), true});
  }
  wake_.notify_one();
}

PipelineStats ReceiptPipeline::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void ReceiptPipeline::Run() {
  std::vector<DecodedReceipt> receipts;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait_for(lock, idle_check_, [this] { return stop_ || !queue_.empty(); });
    const bool stopping = stop_;
    std::deque<Chunk> work;
    work.swap(queue_);
    queued_bytes_ = 0;
    lock.unlock();
    for (const Chunk& chunk : work) {
      if (chunk.stream_break) {
        decoder_.ResetStream();
      } else {
        decoder_.Feed(chunk.bytes, receipts);
      }
    }
    decoder_.CheckIdle(receipts);
    if (stopping) decoder_.Flush(receipts);
    for (const auto& receipt : receipts) HandleReceipt(receipt);
    receipts.clear();
    RetrySpool();
    lock.lock();
    if (stopping && queue_.empty()) return;
  }
}

void ReceiptPipeline::HandleReceipt(const DecodedReceipt& receipt) {
  ExtractedReceipt extracted = extractor_.Extract(receipt);
  std::string problem;
  if (!extracted.problems.empty()) problem = extracted.problems.back();
  metric_cards_.Increment(extracted.card_numbers_masked);
  switch (extracted.outcome) {
    case ExtractOutcome::kTransaction:
      unspooled_.push_back(std::move(extracted.transaction));
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
  if (extracted.outcome == ExtractOutcome::kTransaction) ++stats_.transactions;
  if (extracted.outcome == ExtractOutcome::kSkipped) ++stats_.skipped;
  if (extracted.outcome == ExtractOutcome::kUnmatched) ++stats_.unmatched;
  if (!problem.empty()) stats_.last_problem = problem;
}

void ReceiptPipeline::RetrySpool() {
  // A failing disk must not lose what was decoded; keep a bounded backlog
  // in memory and try again on the next round.
  while (!unspooled_.empty()) {
    auto appended = spool_.Append(unspooled_.front());
    if (!appended.ok()) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.spool_errors;
      stats_.last_problem = appended.status().message();
      while (unspooled_.size() > kMaxUnspooled) unspooled_.pop_front();
      return;
    }
    unspooled_.pop_front();
  }
}

}  // namespace tillbridge::drivers
