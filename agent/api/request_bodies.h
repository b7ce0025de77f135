// The request bodies of the local API, parsed and checked field by field.
// Pure functions of the body text (no store, no phone normalization), so
// they can be fuzzed on their own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/http_types.h"
#include "common/clock.h"
#include "store/model.h"

namespace tillbridge::agent {

// POST /v1/consents.
struct ConsentRequest {
  std::string phone;  // as entered; normalized by the route
  store::ConsentPurpose purpose = store::ConsentPurpose::kTransactional;
  bool granted = false;
  std::string method;                             // one of ConsentMethods()
  std::optional<std::string> disclosure_version;  // required when granted
  std::string cashier_id;
  std::optional<UnixMillis> occurred_at;  // default: when received
  std::string detail;
};

// POST /v1/disclosures.
struct DisclosureRequest {
  store::ConsentPurpose purpose = store::ConsentPurpose::kMarketing;
  std::string version;
  std::string text;
  std::string frequency;
};

// POST /v1/transactions. `transaction.customer_phone` is left empty; the raw
// phone, if any, is in `phone` for the route to normalize.
struct TransactionRequest {
  store::Transaction transaction;
  std::optional<std::string> phone;
};

// POST /session.
struct LoginRequest {
  std::string token;
};

// The capture methods a POS or the cashier page may report.
const std::vector<std::string>& ConsentMethods();

// Each returns nullopt and fills `out` when the body is valid, or the first
// problem found (400 for syntax, types and unknown fields; 422 for values
// that are well-formed but not acceptable, such as a card number by the rule
// of common/card_numbers.h in a text field; pos_id is not checked, the
// store masks it).
std::optional<ApiError> ParseConsentRequest(std::string_view body, ConsentRequest* out);
std::optional<ApiError> ParseDisclosureRequest(std::string_view body, DisclosureRequest* out);
std::optional<ApiError> ParseTransactionRequest(std::string_view body, TransactionRequest* out);
std::optional<ApiError> ParseLoginRequest(std::string_view body, LoginRequest* out);

// POST /manager/login: {"password": "..."}.
struct ManagerLoginRequest {
  std::string password;
};
std::optional<ApiError> ParseManagerLoginRequest(std::string_view body, ManagerLoginRequest* out);

}  // namespace tillbridge::agent
