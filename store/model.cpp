#include "store/model.h"

#include "common/digest.h"

namespace tillbridge::store {

std::string_view EventTypeFor(TransactionKind kind) {
  switch (kind) {
    case TransactionKind::kSale:
      return "transaction.completed";
    case TransactionKind::kRefund:
      return "transaction.refunded";
    case TransactionKind::kVoid:
      return "transaction.voided";
    case TransactionKind::kAbandoned:
      return "basket.abandoned";
  }
  return "transaction.completed";
}

std::string_view TransactionKindName(TransactionKind kind) {
  switch (kind) {
    case TransactionKind::kSale:
      return "sale";
    case TransactionKind::kRefund:
      return "refund";
    case TransactionKind::kVoid:
      return "void";
    case TransactionKind::kAbandoned:
      return "abandoned";
  }
  return "sale";
}

std::optional<TransactionKind> ParseTransactionKind(std::string_view name) {
  if (name == "sale") return TransactionKind::kSale;
  if (name == "refund") return TransactionKind::kRefund;
  if (name == "void") return TransactionKind::kVoid;
  if (name == "abandoned") return TransactionKind::kAbandoned;
  return std::nullopt;
}

std::string_view ConsentPurposeName(ConsentPurpose purpose) {
  return purpose == ConsentPurpose::kMarketing ? "marketing" : "transactional";
}

std::optional<ConsentPurpose> ParseConsentPurpose(std::string_view name) {
  if (name == "transactional") return ConsentPurpose::kTransactional;
  if (name == "marketing") return ConsentPurpose::kMarketing;
  return std::nullopt;
}

std::string_view ConsentStateName(ConsentState state) {
  switch (state) {
    case ConsentState::kNone:
      return "none";
    case ConsentState::kPending:
      return "pending";
    case ConsentState::kOptedIn:
      return "opted_in";
    case ConsentState::kOptedOut:
      return "opted_out";
  }
  return "none";
}

std::optional<ConsentState> ParseConsentState(std::string_view name) {
  if (name == "none") return ConsentState::kNone;
  if (name == "pending") return ConsentState::kPending;
  if (name == "opted_in") return ConsentState::kOptedIn;
  if (name == "opted_out") return ConsentState::kOptedOut;
  return std::nullopt;
}

std::string MakeEventId(std::string_view store_id, std::string_view source, std::string_view pos_id,
                        std::string_view event_type, std::int64_t revision) {
  // Unit separators keep ("ab","c") and ("a","bc") apart.
  std::string key;
  key.append(store_id).push_back('\x1f');
  key.append(source).push_back('\x1f');
  key.append(pos_id).push_back('\x1f');
  key.append(event_type).push_back('\x1f');
  key.append(std::to_string(revision));
  return Sha256Hex(key).substr(0, 32);
}

}  // namespace tillbridge::store
