#include <Poco/JSON/Object.h>

#include <iomanip>
#include <ostream>

#include "agent/api/api_options.h"
#include "agent/commands/commands.h"
#include "agent/runtime.h"
#include "store/store.h"

namespace tillbridge::agent {
namespace {

std::string Age(std::int64_t ms) {
  std::ostringstream out;
  if (ms < 1000)
    out << ms << " ms";
  else if (ms < 120'000)
    out << std::fixed << std::setprecision(1) << ms / 1000.0 << " s";
  else if (ms < 7'200'000)
    out << ms / 60'000 << " min";
  else
    out << std::fixed << std::setprecision(1) << ms / 3'600'000.0 << " h";
  return out.str();
}

std::string SyncValue(const store::StoreStats& stats, const std::string& key) {
  auto it = stats.sync.find(key);
  return it == stats.sync.end() || it->second.empty() ? "never" : it->second;
}

void PrintJson(const LoadedConfig& config, const store::StoreStats& stats, const Status& writable,
               std::ostream& out) {
  Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
  root.set("agent_id", stats.agent_id);
  root.set("store_id", config.values.GetString("agent.store_id"));
  root.set("terminal_id", config.values.GetString("agent.terminal_id"));
  root.set("store_path", StorePath(config));
  root.set("schema_version", stats.schema_version);
  root.set("store_writable", writable.ok());
  if (writable.ok()) {
    root.set("store_write_error", Poco::Dynamic::Var());
  } else {
    root.set("store_write_error", writable.message());
  }
  root.set("transactions", stats.transactions);
  Poco::JSON::Object outbox(Poco::JSON_PRESERVE_KEY_ORDER);
  outbox.set("depth", stats.outbox_depth);
  outbox.set("oldest_age_ms", stats.outbox_oldest_age_ms);
  root.set("outbox", outbox);
  root.set("dead_letters", stats.dead_letters);
  Poco::JSON::Object consents(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& [state, count] : stats.consents_by_state) consents.set(state, count);
  root.set("consents", consents);
  root.set("ledger_rows", stats.ledger_rows);
  Poco::JSON::Array sources;
  for (const auto& cursor : stats.source_cursors) {
    Poco::JSON::Object source(Poco::JSON_PRESERVE_KEY_ORDER);
    source.set("name", cursor.source);
    source.set("cursor", cursor.cursor);
    source.set("records", cursor.records);
    source.set("updated_at", FormatRfc3339(cursor.updated_at));
    auto error = stats.sync.find("source." + cursor.source + ".error");
    source.set("last_error", error == stats.sync.end() ? "" : error->second);
    sources.add(source);
  }
  root.set("sources", sources);
  Poco::JSON::Object sync(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& [key, value] : stats.sync) {
    if (key.rfind("source.", 0) != 0) sync.set(key, value);
  }
  root.set("sync", sync);
  const std::string api_url = ApiBaseUrl(config);
  if (api_url.empty()) {
    root.set("api_url", Poco::Dynamic::Var());
  } else {
    root.set("api_url", api_url);
  }
  root.stringify(out, 2);
  out << "\n";
}

void PrintText(const LoadedConfig& config, const store::StoreStats& stats, const Status& writable,
               std::ostream& out) {
  out << "Tillbridge agent " << stats.agent_id << " (store "
      << config.values.GetString("agent.store_id") << ", terminal "
      << config.values.GetString("agent.terminal_id") << ")\n";
  out << "  store         " << StorePath(config) << " (schema " << stats.schema_version << ")\n";
  out << "  store writes  " << (writable.ok() ? "ok" : "FAILING: " + writable.message()) << "\n";
  out << "  transactions  " << stats.transactions << "\n";
  out << "  outbox        " << stats.outbox_depth << " waiting";
  if (stats.outbox_depth > 0) out << ", oldest " << Age(stats.outbox_oldest_age_ms);
  out << "\n";
  out << "  dead letters  " << stats.dead_letters
      << (stats.dead_letters > 0 ? "  (rejected by the cloud; see the dead_letters table)" : "")
      << "\n";
  out << "  consents     ";
  for (const auto& [state, count] : stats.consents_by_state) out << " " << state << " " << count;
  out << " (ledger rows " << stats.ledger_rows << ")\n";
  if (stats.source_cursors.empty()) {
    out << "  sources       none has delivered records yet\n";
  }
  for (const auto& cursor : stats.source_cursors) {
    auto error = stats.sync.find("source." + cursor.source + ".error");
    const bool failing = error != stats.sync.end() && !error->second.empty();
    // At least one space after the name, however long it is.
    out << "  source " << std::left << std::setw(7) << cursor.source << std::right << " "
        << (failing ? "FAILING: " + error->second : std::string("ok")) << "; " << cursor.records
        << " records, cursor "
        << (cursor.cursor.size() > 32 ? cursor.cursor.substr(0, 29) + "..." : cursor.cursor)
        << ", updated " << FormatRfc3339(cursor.updated_at) << "\n";
  }
  out << "  cloud         " << SyncValue(stats, "cloud.state") << "; last push "
      << SyncValue(stats, "cloud.last_push_at") << ", last pull "
      << SyncValue(stats, "cloud.last_pull_at") << ", backlog " << SyncValue(stats, "sync.backlog")
      << "\n";
  if (auto webhook = stats.sync.find("webhook.state");
      webhook != stats.sync.end() && webhook->second != "disabled") {
    out << "  webhook       " << webhook->second << "\n";
  }
  const std::string api_url = ApiBaseUrl(config);
  out << "  local API     " << (api_url.empty() ? "disabled" : api_url) << "\n";
}

}  // namespace

std::string ApiBaseUrl(const LoadedConfig& config) {
  if (!config.values.GetBool("api.enabled")) return "";
  auto options = ApiOptionsFrom(config.values, config.values.GetString("agent.data_dir"));
  return options.ok() ? ApiBaseUrl(options->listen_address, options->port) : "";
}

int RunStatus(const LoadedConfig& config, bool json, std::ostream& out, std::ostream& err) {
  auto opened = OpenConfiguredStore(config, /*create_dir=*/false);
  if (!opened.ok()) {
    err << "tillbridge status: " << opened.status().message() << "\n";
    return kExitFailure;
  }
  auto stats = (*opened)->Stats();
  if (!stats.ok()) {
    err << "tillbridge status: cannot read the store: " << stats.status().message() << "\n";
    return kExitFailure;
  }
  // Sales and opt-ins are lost to nothing while the store cannot be
  // written, but they wait at the POS: say so, and fail the command.
  const Status writable = (*opened)->CheckWritable();
  if (json)
    PrintJson(config, *stats, writable, out);
  else
    PrintText(config, *stats, writable, out);
  return writable.ok() ? kExitOk : kExitFailure;
}

}  // namespace tillbridge::agent
