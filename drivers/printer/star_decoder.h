// A streaming decoder for Star Micronics printers (Star Line Mode and
// StarPRNT: TSP100/TSP143/TSP650, mC-Print, SM series): turns the bytes a POS
// sends to its printer into receipt texts (UTF-8), one per paper cut.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "drivers/printer/code_pages.h"
#include "drivers/printer/receipt_assembler.h"
#include "drivers/printer/receipt_decoder.h"
#include "drivers/printer/star_commands.h"

namespace tillbridge::drivers {

// Not thread-safe. Memory is bounded by DecoderLimits whatever the input.
// Text is decoded with the page chosen by ESC GS t and the national set
// chosen by ESC R; styles, images, barcodes, 2D codes, logos, drawer and
// status commands are skipped with their parameters; ESC d n, or a raster
// page end whose mode uses the cutter, ends the receipt.
class StarDecoder final : public ReceiptDecoder {
 public:
  // `clock` must outlive the decoder.
  StarDecoder(const Clock& clock, DecoderLimits limits);

  void Feed(std::string_view bytes, std::vector<DecodedReceipt>& out) override;
  void CheckIdle(std::vector<DecodedReceipt>& out) override;
  void ResetStream() override;
  void EndStream(std::vector<DecodedReceipt>& out) override;
  void EndIdle(std::vector<DecodedReceipt>& out) override;
  void Flush(std::vector<DecodedReceipt>& out) override;

  bool HasPendingReceipt() const override;
  const DecoderStats& stats() const override { return stats_; }
  std::string_view command_set() const override { return "star"; }
  // The code page currently selected by ESC GS t.
  std::string_view code_page_name() const override { return code_page_->name(); }

 private:
  enum class State { kText, kHeader, kSkip, kSkipUntil, kDecimal, kBlockHeader };

  void FeedByte(std::uint8_t byte, std::vector<DecodedReceipt>& out);
  void TextByte(std::uint8_t byte, std::vector<DecodedReceipt>& out);
  void StartHeader(std::uint8_t byte);
  void HeaderByte(std::uint8_t byte, std::vector<DecodedReceipt>& out);
  void SkipUntilByte(std::uint8_t byte, std::vector<DecodedReceipt>& out);
  void DecimalByte(std::uint8_t byte, std::vector<DecodedReceipt>& out);
  void BlockHeaderByte(std::uint8_t byte);
  void ApplyCommand(std::vector<DecodedReceipt>& out);
  void ApplyDecimal(std::vector<DecodedReceipt>& out);
  void StartSkip(std::uint64_t count);
  void EndRasterPage(std::uint64_t mode, std::vector<DecodedReceipt>& out);
  void Initialize();
  void AbandonCommand();

  const Clock& clock_;
  DecoderLimits limits_;
  DecoderStats stats_;
  ReceiptAssembler text_;  // lines and the pending receipt

  State state_ = State::kText;
  std::uint8_t header_[16] = {};
  std::size_t header_size_ = 0;
  std::uint64_t skip_remaining_ = 0;
  std::uint8_t terminator_ = 0;
  bool stop_at_control_ = false;
  std::uint64_t decimal_value_ = 0;
  std::size_t decimal_digits_ = 0;
  StarBlockKind block_kind_ = StarBlockKind::kQrData;
  std::uint64_t blocks_remaining_ = 0;
  std::uint8_t block_header_[4] = {};
  std::size_t block_header_size_ = 0;

  const CodePage* code_page_;
  std::uint8_t international_set_ = 0;
  std::uint8_t last_line_break_ = 0;  // CR or LF just seen, to pair CR LF

  // Raster mode (ESC * r A .. ESC * r B): only raster commands count.
  bool raster_mode_ = false;
  bool raster_rows_pending_ = false;   // rows sent since the last page end
  std::uint64_t raster_eot_mode_ = 0;  // ESC * r E n NUL; 0 = the printer's default
  std::uint64_t raster_ff_mode_ = 0;   // ESC * r F n NUL

  UnixMillis last_feed_at_ = 0;
};

}  // namespace tillbridge::drivers
