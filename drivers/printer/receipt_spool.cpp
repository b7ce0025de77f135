#include "drivers/printer/receipt_spool.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "common/digest.h"
#include "common/log.h"
#include "store/card_guard.h"

namespace tillbridge::drivers {
namespace {

constexpr char kMagic[] = "TBSPOOL1 ";
constexpr std::uint64_t kCompactAfterBytes = 1024 * 1024;
constexpr std::uint64_t kMaxRecordBytes = 16 * 1024 * 1024;

std::string Checksum(std::string_view payload) { return Sha256Hex(payload).substr(0, 16); }

std::string RecordHeader(std::uint64_t seq, std::string_view payload) {
  return std::to_string(seq) + " " + std::to_string(payload.size()) + " " + Checksum(payload) +
         "\n";
}

}  // namespace

std::string TransactionToSpoolJson(const store::Transaction& txn) {
  Poco::JSON::Object root;
  root.set("source", txn.source);
  root.set("pos_id", txn.pos_id);
  root.set("revision", txn.revision);
  root.set("kind", std::string(store::TransactionKindName(txn.kind)));
  root.set("occurred_at", txn.occurred_at);
  root.set("currency", txn.currency);
  root.set("subtotal_minor", txn.subtotal_minor);
  root.set("tax_minor", txn.tax_minor);
  root.set("total_minor", txn.total_minor);
  root.set("cashier", txn.cashier);
  root.set("customer_phone", txn.customer_phone);
  Poco::JSON::Array coupons;
  for (const auto& code : txn.coupon_codes) coupons.add(code);
  root.set("coupon_codes", coupons);
  Poco::JSON::Array lines;
  for (const auto& line : txn.lines) {
    Poco::JSON::Object item;
    item.set("sku", line.sku);
    item.set("description", line.description);
    item.set("quantity_milli", line.quantity_milli);
    item.set("unit_price_minor", line.unit_price_minor);
    item.set("total_minor", line.total_minor);
    lines.add(item);
  }
  root.set("lines", lines);
  Poco::JSON::Array payments;
  for (const auto& payment : txn.payments) {
    Poco::JSON::Object item;
    item.set("type", payment.type);
    item.set("amount_minor", payment.amount_minor);
    payments.add(item);
  }
  root.set("payments", payments);
  root.set("receipt_text", txn.receipt_text);
  if (!txn.loyalty_number.empty()) root.set("loyalty_number", txn.loyalty_number);
  if (txn.loyalty_points_earned) root.set("loyalty_points_earned", *txn.loyalty_points_earned);
  if (txn.loyalty_balance) root.set("loyalty_balance", *txn.loyalty_balance);
  std::ostringstream out;
  root.stringify(out);
  return out.str();
}

Result<store::Transaction> TransactionFromSpoolJson(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    store::Transaction txn;
    txn.source = root->getValue<std::string>("source");
    txn.pos_id = root->getValue<std::string>("pos_id");
    txn.revision = root->getValue<std::int64_t>("revision");
    auto kind = store::ParseTransactionKind(root->getValue<std::string>("kind"));
    if (!kind) return Status::Corruption("spool record has an unknown kind");
    txn.kind = *kind;
    txn.occurred_at = root->getValue<std::int64_t>("occurred_at");
    txn.currency = root->getValue<std::string>("currency");
    txn.subtotal_minor = root->getValue<std::int64_t>("subtotal_minor");
    txn.tax_minor = root->getValue<std::int64_t>("tax_minor");
    txn.total_minor = root->getValue<std::int64_t>("total_minor");
    txn.cashier = root->getValue<std::string>("cashier");
    txn.customer_phone = root->getValue<std::string>("customer_phone");
    auto coupons = root->getArray("coupon_codes");
    for (std::size_t i = 0; coupons && i < coupons->size(); ++i) {
      txn.coupon_codes.push_back(coupons->getElement<std::string>(static_cast<unsigned>(i)));
    }
    auto lines = root->getArray("lines");
    for (std::size_t i = 0; lines && i < lines->size(); ++i) {
      auto item = lines->getObject(static_cast<unsigned>(i));
      store::TransactionLine line;
      line.sku = item->getValue<std::string>("sku");
      line.description = item->getValue<std::string>("description");
      line.quantity_milli = item->getValue<std::int64_t>("quantity_milli");
      line.unit_price_minor = item->getValue<std::int64_t>("unit_price_minor");
      line.total_minor = item->getValue<std::int64_t>("total_minor");
      txn.lines.push_back(std::move(line));
    }
    auto payments = root->getArray("payments");
    for (std::size_t i = 0; payments && i < payments->size(); ++i) {
      auto item = payments->getObject(static_cast<unsigned>(i));
      txn.payments.push_back(
          {item->getValue<std::string>("type"), item->getValue<std::int64_t>("amount_minor")});
    }
    txn.receipt_text = root->getValue<std::string>("receipt_text");
    // Records spooled before loyalty numbers were kept have none.
    if (root->has("loyalty_number")) {
      txn.loyalty_number = root->getValue<std::string>("loyalty_number");
    }
    if (root->has("loyalty_points_earned")) {
      txn.loyalty_points_earned = root->getValue<std::int64_t>("loyalty_points_earned");
    }
    if (root->has("loyalty_balance")) {
      txn.loyalty_balance = root->getValue<std::int64_t>("loyalty_balance");
    }
    return txn;
  } catch (const Poco::Exception& error) {
    return Status::Corruption("spool record is not a transaction: " + error.displayText());
  } catch (const std::exception& error) {
    return Status::Corruption(std::string("spool record is not a transaction: ") + error.what());
  }
}

Result<std::unique_ptr<ReceiptSpool>> ReceiptSpool::Open(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::IoError("cannot create spool folder " + dir + ": " + error.message());
  const std::string path = (std::filesystem::path(dir) / "receipts.spool").string();
  auto file = platform::DurableFile::Open(path, platform::DurableFile::Mode::kOpenOrCreate);
  if (!file.ok()) return file.status();
  auto size = (*file)->Size();
  if (!size.ok()) return size.status();
  std::string spool_id;
  std::vector<Entry> entries;
  std::uint64_t end = 0;
  std::uint64_t last_seq = 0;
  if (*size == 0) {
    spool_id = RandomHex(8);
    const std::string header = std::string(kMagic) + spool_id + "\n";
    TB_RETURN_IF_ERROR((*file)->WriteAt(0, header));
    TB_RETURN_IF_ERROR((*file)->Sync());
    (void)platform::SyncDirectory(dir);
    end = header.size();
  } else {
    auto content = (*file)->ReadAt(0, *size);
    if (!content.ok()) return content.status();
    const std::string& text = *content;
    const auto header_end = text.find('\n');
    if (text.rfind(kMagic, 0) != 0 || header_end == std::string::npos) {
      return Status::Corruption(path + ": not a Tillbridge receipt spool");
    }
    spool_id = text.substr(sizeof(kMagic) - 1, header_end - (sizeof(kMagic) - 1));
    std::uint64_t pos = header_end + 1;
    while (pos < text.size()) {
      const auto line_end = text.find('\n', pos);
      std::uint64_t seq = 0, length = 0;
      char checksum[17] = {};
      bool whole = false;
      if (line_end != std::string::npos &&
          std::sscanf(text.c_str() + pos, "%20" SCNu64 " %20" SCNu64 " %16s", &seq, &length,
                      checksum) == 3 &&
          length <= kMaxRecordBytes && line_end + 1 + length + 1 <= text.size() &&
          text[line_end + 1 + length] == '\n' && seq > last_seq) {
        whole = Checksum(std::string_view(text).substr(line_end + 1, length)) == checksum;
      }
      if (!whole) {
        // Only the last record can be torn by a crash; anything after it
        // would mean the file was damaged some other way.
        LogWarning("printer", path + ": dropping a torn record at byte " + std::to_string(pos));
        TB_RETURN_IF_ERROR((*file)->Truncate(pos));
        break;
      }
      entries.push_back({seq, line_end + 1, length});
      last_seq = seq;
      pos = line_end + 1 + length + 1;
    }
    end = pos < text.size() ? pos : text.size();
  }
  return std::make_unique<ReceiptSpool>(Key(), path, std::move(*file), spool_id, std::move(entries),
                                        end, last_seq);
}

ReceiptSpool::ReceiptSpool(Key /*key*/, std::string path,
                           std::unique_ptr<platform::DurableFile> file, std::string spool_id,
                           std::vector<Entry> entries, std::uint64_t end, std::uint64_t last_seq)
    : path_(std::move(path)),
      file_(std::move(file)),
      spool_id_(std::move(spool_id)),
      entries_(std::move(entries)),
      end_(end),
      last_seq_(last_seq) {}

ReceiptSpool::~ReceiptSpool() = default;

Result<std::uint64_t> ReceiptSpool::Append(const store::Transaction& txn) {
  return AppendBatch({txn});
}

Result<std::uint64_t> ReceiptSpool::AppendBatch(const std::vector<store::Transaction>& txns) {
  // The spool is a file on disk like the store: it gets the store's guard,
  // whatever the extractor did before.
  std::vector<std::string> payloads;
  payloads.reserve(txns.size());
  for (const store::Transaction& txn : txns) {
    store::Transaction masked = txn;
    store::MaskCardNumbersIn(masked);
    payloads.push_back(TransactionToSpoolJson(masked));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (payloads.empty()) return last_seq_;
  // One write and one sync for the whole batch: a burst of receipts costs
  // one disk flush, not one per receipt.
  std::uint64_t seq = std::max(last_seq_, seq_floor_);
  std::string records;
  std::vector<Entry> added;
  for (const std::string& payload : payloads) {
    ++seq;
    const std::string header = RecordHeader(seq, payload);
    added.push_back({seq, end_ + records.size() + header.size(), payload.size()});
    records += header;
    records += payload;
    records += '\n';
  }
  TB_RETURN_IF_ERROR(file_->WriteAt(end_, records));
  TB_RETURN_IF_ERROR(file_->Sync());
  entries_.insert(entries_.end(), added.begin(), added.end());
  end_ += records.size();
  last_seq_ = seq;
  appended_.notify_all();
  return seq;
}

Result<std::vector<std::pair<std::uint64_t, store::Transaction>>> ReceiptSpool::ReadAfter(
    std::uint64_t after, std::size_t max, std::chrono::milliseconds wait) {
  std::vector<Entry> wanted;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    appended_.wait_for(lock, wait, [&] { return last_seq_ > after; });
    auto first = std::upper_bound(entries_.begin(), entries_.end(), after,
                                  [](std::uint64_t seq, const Entry& e) { return seq < e.seq; });
    for (; first != entries_.end() && wanted.size() < max; ++first) wanted.push_back(*first);
  }
  std::vector<std::pair<std::uint64_t, store::Transaction>> records;
  for (const auto& entry : wanted) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto payload = file_->ReadAt(entry.offset, entry.length);
    if (!payload.ok()) return payload.status();
    auto txn = TransactionFromSpoolJson(*payload);
    if (!txn.ok())
      return Status::Corruption(path_ + " record " + std::to_string(entry.seq) + ": " +
                                txn.status().message());
    records.emplace_back(entry.seq, std::move(*txn));
  }
  return records;
}

Status ReceiptSpool::Compact(std::uint64_t acknowledged) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t dead = 0;
  std::size_t keep_from = 0;
  while (keep_from < entries_.size() && entries_[keep_from].seq <= acknowledged) {
    dead += entries_[keep_from].length;
    ++keep_from;
  }
  // Rewriting costs the live records' size, so it waits until at least as
  // much is dead: a long backlog is copied a few times, not at every poll.
  const std::uint64_t live_from =
      keep_from == 0 ? 0 : entries_[keep_from - 1].offset + entries_[keep_from - 1].length + 1;
  if (dead < kCompactAfterBytes || keep_from == 0 || dead < end_ - live_from) {
    return Status::Ok();
  }
  const std::string temp = path_ + ".tmp";
  auto opened = platform::DurableFile::Open(temp, platform::DurableFile::Mode::kCreateOrTruncate);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<platform::DurableFile> out = std::move(*opened);
  const std::string header = std::string(kMagic) + spool_id_ + "\n";
  // The live records are one contiguous run at the end of the file: copied
  // in one piece, their offsets all move by the same amount.
  auto live = file_->ReadAt(live_from, end_ - live_from);
  Status status = live.ok() ? out->WriteAt(0, header + *live) : live.status();
  const std::uint64_t pos = header.size() + (end_ - live_from);
  std::vector<Entry> kept;
  kept.reserve(entries_.size() - keep_from);
  for (std::size_t i = keep_from; i < entries_.size(); ++i) {
    kept.push_back(
        {entries_[i].seq, entries_[i].offset - live_from + header.size(), entries_[i].length});
  }
  if (status.ok()) status = out->Sync();
  if (status.ok()) {
    // The old file is closed first: Windows cannot replace a file that is
    // still open. The new one keeps its handle across the rename.
    file_.reset();
    status = platform::AtomicReplace(temp, path_);
    if (!status.ok()) {
      auto reopened =
          platform::DurableFile::Open(path_, platform::DurableFile::Mode::kOpenOrCreate);
      if (reopened.ok()) file_ = std::move(*reopened);
    }
  }
  if (!status.ok()) {
    out.reset();
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return status;
  }
  file_ = std::move(out);
  entries_ = std::move(kept);
  end_ = pos;
  return Status::Ok();
}

std::string ReceiptSpool::CursorFor(std::uint64_t seq) const {
  return spool_id_ + ":" + std::to_string(seq);
}

Result<std::uint64_t> ReceiptSpool::ParseCursor(const std::string& cursor) const {
  if (cursor.empty()) return std::uint64_t{0};
  const auto colon = cursor.find(':');
  if (colon == std::string::npos)
    return Status::InvalidArgument("printer cursor '" + cursor + "' has no ':'");
  std::uint64_t seq = 0;
  const std::string digits = cursor.substr(colon + 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
      digits.size() > 19) {
    return Status::InvalidArgument("printer cursor '" + cursor + "' has no sequence number");
  }
  seq = std::stoull(digits);
  if (cursor.substr(0, colon) != spool_id_) {
    LogWarning("printer", "cursor belongs to an earlier spool; reading this spool from its start");
    return std::uint64_t{0};
  }
  return seq;
}

std::uint64_t ReceiptSpool::last_seq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_seq_;
}

void ReceiptSpool::EnsureSeqAbove(std::uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  seq_floor_ = std::max(seq_floor_, seq);
}

std::size_t ReceiptSpool::record_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace tillbridge::drivers
