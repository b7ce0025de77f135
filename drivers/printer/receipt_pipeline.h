// The parsing half of the printer tap: takes copies of the POS stream off
// the forwarding threads through a bounded queue, decodes them on its own
// thread, extracts transactions and spools them. It never makes a
// forwarding thread wait: when the queue is full, the copy is dropped from
// decoding (the printer already has the bytes) and counted.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/metrics.h"
#include "drivers/printer/escpos_decoder.h"
#include "drivers/printer/passthrough.h"
#include "drivers/printer/receipt_extractor.h"
#include "drivers/printer/receipt_spool.h"
#include "drivers/printer/unmatched_log.h"

namespace tillbridge::drivers {

struct PipelineStats {
  std::uint64_t receipts = 0;      // decoded receipts
  std::uint64_t transactions = 0;  // spooled transactions
  std::uint64_t unmatched = 0;     // kept in the unmatched log
  std::uint64_t skipped = 0;       // matched a skip_when rule (reports, ...)
  std::uint64_t parse_drops = 0;   // chunks not decoded because the queue was full
  std::uint64_t parse_dropped_bytes = 0;
  std::uint64_t card_numbers_masked = 0;
  std::uint64_t spool_errors = 0;  // failed spool writes (retried)
  std::string last_problem;        // last extraction problem or spool error
};

// Thread-safe observer; Start/Stop from one thread.
class ReceiptPipeline final : public PosStreamObserver {
 public:
  // All references must outlive the pipeline.
  ReceiptPipeline(const Clock& clock, DecoderLimits limits, std::size_t queue_bytes,
                  const ReceiptExtractor& extractor, ReceiptSpool& spool,
                  UnmatchedReceiptLog& unmatched);
  ~ReceiptPipeline() override;
  ReceiptPipeline(const ReceiptPipeline&) = delete;
  ReceiptPipeline& operator=(const ReceiptPipeline&) = delete;

  void Start();
  // Decodes what is queued, ends the pending receipt (kFlush) and joins.
  void Stop();

  void OnPosBytes(std::string_view bytes) override;
  void OnPosStreamBreak() override;

  PipelineStats Stats() const;

 private:
  // One receipt through extraction and into the spool or the unmatched log.
  void HandleReceipt(const DecodedReceipt& receipt);
  struct Chunk {
    std::string bytes;
    bool stream_break = false;
  };
  void Run();
  void RetrySpool();

  EscPosDecoder decoder_;  // pipeline thread only
  std::size_t queue_limit_;
  std::chrono::milliseconds idle_check_;
  const ReceiptExtractor& extractor_;
  ReceiptSpool& spool_;
  UnmatchedReceiptLog& unmatched_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Chunk> queue_;                   // guarded by mutex_
  std::size_t queued_bytes_ = 0;              // guarded by mutex_
  bool gap_ = false;                          // guarded by mutex_: bytes were dropped
  bool stop_ = false;                         // guarded by mutex_
  PipelineStats stats_;                       // guarded by mutex_
  std::deque<store::Transaction> unspooled_;  // pipeline thread only
  std::thread thread_;

  Counter& metric_transactions_;
  Counter& metric_unmatched_;
  Counter& metric_skipped_;
  Counter& metric_drops_;
  Counter& metric_cards_;
};

}  // namespace tillbridge::drivers
