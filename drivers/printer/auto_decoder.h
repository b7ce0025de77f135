// `printer.command_set = auto`: recognises from the bytes themselves whether
// a POS speaks ESC/POS or Star (Line Mode / StarPRNT), again for every
// connection, and hands the stream to the matching decoder.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "drivers/printer/escpos_decoder.h"
#include "drivers/printer/receipt_decoder.h"
#include "drivers/printer/star_decoder.h"

namespace tillbridge::drivers {

// Looks for byte patterns only one command set sends: ESC GS, ESC RS, ESC US
// and ESC * r are Star; GS or FS commands, DLE EOT, ESC t, ESC !, ESC E 0/1
// and ESC * with a bit-image mode are ESC/POS. ESC @ belongs to both and
// proves nothing. Not thread-safe; memory is constant.
class CommandSetRecognizer {
 public:
  // Examines `bytes` (the continuation of what came before) and returns how
  // many were looked at: all of them, or up to and including the byte that
  // settled the verdict.
  std::size_t Scan(std::string_view bytes);
  // kEscPos or kStar once the bytes were conclusive, else kAuto.
  CommandSet verdict() const { return verdict_; }
  // The set to assume when the bytes never became conclusive: Star when only
  // Star hints were seen (an ESC d 0..3 cut, ESC @ CAN), else ESC/POS.
  CommandSet Guess() const;
  // Bytes were lost: forgets the partial command context, keeps the hints.
  void Break();
  // A new stream: forgets everything.
  void Reset();

 private:
  void Examine(std::uint8_t byte);

  CommandSet verdict_ = CommandSet::kAuto;
  // The three bytes before the current one, most recent first; only the
  // first `seen_` of them are real.
  std::uint8_t previous_[3] = {};
  std::size_t seen_ = 0;
  bool after_esc_d_cut_ = false;  // the last command was ESC d 0..3
  bool star_hint_ = false;
};

// A decoder for `auto`. Until the command set of a stream is recognised it
// keeps the stream's bytes (at most kRecognitionBytes, with their arrival
// times); then it replays them, with those times, into the ESC/POS or Star
// decoder and feeds that decoder directly until the stream ends. Streams
// that stay inconclusive are decoded as the Guess() when the buffer is full,
// an idle gap passes, the stream ends or the caller flushes. Both inner
// decoders live as long as this one, so each keeps its own code page.
// Not thread-safe: one thread feeds it.
class AutoDecoder final : public ReceiptDecoder {
 public:
  static constexpr std::size_t kRecognitionBytes = 4096;

  // `clock` must outlive the decoder.
  AutoDecoder(const Clock& clock, DecoderLimits limits);
  AutoDecoder(const AutoDecoder&) = delete;
  AutoDecoder& operator=(const AutoDecoder&) = delete;

  void Feed(std::string_view bytes, std::vector<DecodedReceipt>& out) override;
  void CheckIdle(std::vector<DecodedReceipt>& out) override;
  void ResetStream() override;
  void EndStream(std::vector<DecodedReceipt>& out) override;
  void EndIdle(std::vector<DecodedReceipt>& out) override;
  void Flush(std::vector<DecodedReceipt>& out) override;

  // True while bytes wait for recognition, else as the chosen decoder says.
  bool HasPendingReceipt() const override;
  // Both decoders' counters added up; `bytes` includes the waiting bytes.
  const DecoderStats& stats() const override;
  // The set of the stream being decoded; while a new stream is still being
  // recognised, the set recognised last ("" before the first recognition).
  std::string_view command_set() const override;
  // The page of the decoder in use or used last (ESC/POS before any).
  std::string_view code_page_name() const override;

 private:
  // What the inner decoders read as the time: the real clock, except while
  // waiting bytes are replayed with the time they arrived. Only the thread
  // feeding the decoder pins it.
  class ReplayClock final : public Clock {
   public:
    explicit ReplayClock(const Clock& real) : real_(real) {}
    UnixMillis NowMillis() const override;
    void Pin(UnixMillis at) { pinned_ = at; }
    void Unpin() { pinned_ = kUnpinned; }

   private:
    static constexpr UnixMillis kUnpinned = std::numeric_limits<UnixMillis>::min();
    const Clock& real_;
    std::atomic<UnixMillis> pinned_{kUnpinned};
  };

  // Bytes that arrived together, waiting for recognition.
  struct WaitingChunk {
    UnixMillis arrived_at = 0;
    bool reset_before = false;  // ResetStream came before these bytes
    std::string bytes;
  };

  void Wait(std::string_view bytes);
  void Choose(CommandSet set, std::vector<DecodedReceipt>& out);

  const Clock& clock_;
  DecoderLimits limits_;
  ReplayClock replay_clock_;
  EscPosDecoder escpos_;
  StarDecoder star_;
  ReceiptDecoder* active_ = nullptr;             // the chosen decoder for this stream
  const ReceiptDecoder* last_active_ = nullptr;  // the one chosen last

  CommandSetRecognizer recognizer_;
  std::vector<WaitingChunk> waiting_;
  std::size_t waiting_bytes_ = 0;
  bool reset_pending_ = false;  // mark the next waiting chunk reset_before
  UnixMillis last_feed_at_ = 0;
  mutable DecoderStats combined_stats_;
};

}  // namespace tillbridge::drivers
