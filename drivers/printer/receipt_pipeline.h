// The parsing half of the printer tap. The forwarding threads append what
// the POS sent to the capture journal (a file, so they never wait for
// decoding); this pipeline's thread reads the journal at its own pace,
// decodes, extracts transactions and queues them, in memory and bounded, for
// the agent to take (Take). Each queued transaction carries the journal
// position decoding would have to resume from to produce it again; the
// agent stores that position as the source's cursor in the same SQLite
// transaction as the records, and the journal is trimmed only up to it. So
// whatever the store has not committed is decoded again after a crash, and
// nothing printed is skipped however far decoding falls behind (up to the
// journal's size cap).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "drivers/printer/capture_journal.h"
#include "drivers/printer/passthrough.h"
#include "drivers/printer/receipt_decoder.h"
#include "drivers/printer/receipt_extractor.h"
#include "drivers/printer/unmatched_log.h"
#include "store/model.h"

namespace tillbridge::drivers {

struct PipelineStats {
  std::uint64_t receipts = 0;         // decoded receipts
  std::uint64_t transactions = 0;     // transactions extracted
  std::uint64_t unmatched = 0;        // kept in the unmatched log
  std::uint64_t skipped = 0;          // matched a skip_when rule (reports, ...)
  std::uint64_t invalid_phones = 0;   // transactions whose printed phone was not valid
  std::uint64_t loyalty_numbers = 0;  // transactions carrying a loyalty number
  std::uint64_t parse_drops = 0;      // chunks printed but not journaled (journal full)
  std::uint64_t parse_dropped_bytes = 0;
  std::uint64_t decode_backlog_bytes = 0;  // journaled, not yet decoded
  std::uint64_t queued = 0;                // extracted, not yet taken by the store
  std::string command_set;                 // last recognised: "escpos", "star", or ""
  std::uint64_t card_numbers_masked = 0;
  std::string last_problem;  // last extraction or journal problem
};

// What Take hands out: transactions in print order, and where decoding
// resumes to produce everything after them.
struct DecodedBatch {
  std::vector<store::Transaction> transactions;
  std::uint64_t resume_position = 0;  // journal position
  std::uint64_t last_sequence = 0;    // of the last item taken (Take's `after`)
};

// Thread-safe; Start/Stop from one thread, Take from one consumer thread.
class ReceiptPipeline final : public PosStreamObserver {
 public:
  // All references must outlive the pipeline. `max_queued` bounds the
  // transactions held in memory; beyond it decoding pauses (the journal
  // keeps the bytes).
  ReceiptPipeline(const Clock& clock, CommandSet command_set, DecoderLimits limits,
                  CaptureJournal& journal, const ReceiptExtractor& extractor,
                  UnmatchedReceiptLog& unmatched, std::size_t max_queued = 5000);
  ~ReceiptPipeline() override;
  ReceiptPipeline(const ReceiptPipeline&) = delete;
  ReceiptPipeline& operator=(const ReceiptPipeline&) = delete;

  // Starts decoding at the journal's read position.
  void Start();
  // Stops decoding and joins. What was not decoded or not taken stays in
  // the journal and is decoded at the next start.
  void Stop();

  void OnPosBytes(std::string_view bytes) override;
  void OnPosStreamBreak() override;

  // Drops the queued items up to sequence number `acknowledged` (the
  // consumer has stored them), then returns up to `max` transactions queued
  // after it without removing them, waiting at most `wait` for one. An
  // empty batch may still move resume_position (receipts that were no sale).
  // Returns nullopt when nothing new was queued.
  std::optional<DecodedBatch> Take(std::uint64_t acknowledged, std::size_t max,
                                   std::chrono::milliseconds wait);

  PipelineStats Stats() const;

 private:
  // A queued transaction, or (without one) a point the journal may be
  // trimmed to although no sale came out of the bytes before it.
  struct Item {
    std::uint64_t sequence;
    std::uint64_t resume_position;
    std::optional<store::Transaction> transaction;
  };

  void Run();
  // One receipt through extraction; a transaction is returned, anything
  // else goes to the unmatched log or is counted as skipped.
  std::optional<store::Transaction> HandleReceipt(const DecodedReceipt& receipt);
  // Queues what one round of decoding produced (see Run for the positions).
  void Enqueue(std::vector<store::Transaction> transactions, std::uint64_t before,
               std::optional<std::uint64_t> after);

  std::unique_ptr<ReceiptDecoder> decoder_;  // pipeline thread only
  std::chrono::milliseconds idle_check_;
  CaptureJournal& journal_;
  const ReceiptExtractor& extractor_;
  UnmatchedReceiptLog& unmatched_;
  const std::size_t max_queued_;

  mutable std::mutex mutex_;
  std::condition_variable taken_;        // the queue got shorter, or stopping
  std::condition_variable queued_;       // the queue got an item
  bool stop_ = false;                    // guarded by mutex_
  std::deque<Item> queue_;               // guarded by mutex_
  std::size_t queued_transactions_ = 0;  // guarded by mutex_
  std::uint64_t next_sequence_ = 1;      // guarded by mutex_
  std::uint64_t last_resume_ = 0;        // guarded by mutex_: of the last item queued
  PipelineStats stats_;                  // guarded by mutex_
  std::thread thread_;

  Counter& metric_transactions_;
  Counter& metric_unmatched_;
  Counter& metric_skipped_;
  Counter& metric_drops_;
  Counter& metric_cards_;
};

}  // namespace tillbridge::drivers
