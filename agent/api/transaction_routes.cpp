// POST /v1/transactions: a custom POS pushes a sale, refund, void or
// abandoned basket; it is ingested like any other source's record (source
// "api") and so becomes an outbox event.
#include "agent/api/json.h"
#include "agent/api/request_bodies.h"
#include "agent/api/route_context.h"
#include "common/card_numbers.h"
#include "store/transaction_log.h"

namespace tillbridge::agent {

namespace {
constexpr const char* kSource = "api";
}  // namespace

HttpResponse PostTransaction(ApiContext& context, const RouteCall& call) {
  TransactionRequest request;
  if (auto error = ParseTransactionRequest(call.request.body, &request))
    return ErrorResponse(*error);
  store::Transaction& txn = request.transaction;
  // The id as the store keeps it (masked where it looks like a card
  // number), so the answer, the event id and the cursor all use that one.
  txn.pos_id = MaskCardNumbers(txn.pos_id);
  if (request.phone) {
    if (auto error = NormalizePhone(context, *request.phone, "phone", &txn.customer_phone)) {
      return ErrorResponse(*error);
    }
  }
  auto latest = context.store.transactions().LatestRevision(kSource, txn.pos_id);
  if (!latest.ok()) return StoreFailure(latest.status(), "reading transactions");
  const bool duplicate = *latest && **latest == txn.revision;
  if (*latest && **latest > txn.revision) {
    return ErrorResponse(409, "revision",
                         "revision " + std::to_string(txn.revision) + " of '" + txn.pos_id +
                             "' is older than the stored revision " + std::to_string(**latest));
  }
  if (!duplicate) {
    Status ingested = context.store.transactions().Ingest(
        kSource, {txn}, txn.pos_id + "#" + std::to_string(txn.revision));
    if (!ingested.ok()) {
      if (ingested.code() == StatusCode::kInvalidArgument) {
        return ErrorResponse(422, std::nullopt, ingested.message());
      }
      return StoreFailure(ingested, "storing the transaction");
    }
  }
  const std::string_view type = store::EventTypeFor(txn.kind);
  JsonWriter json;
  json.BeginObject();
  json.Key("pos_id").String(txn.pos_id);
  json.Key("revision").Int(txn.revision);
  json.Key("kind").String(store::TransactionKindName(txn.kind));
  json.Key("event_type").String(type);
  json.Key("event_id")
      .String(
          store::MakeEventId(context.store.store_id(), kSource, txn.pos_id, type, txn.revision));
  json.Key("duplicate").Bool(duplicate);
  json.EndObject();
  return JsonResponse(duplicate ? 200 : 201, json.Take());
}

}  // namespace tillbridge::agent
