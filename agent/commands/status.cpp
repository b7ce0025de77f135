#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <iomanip>
#include <optional>
#include <ostream>
#include <vector>

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

struct StatusFact {
  std::string key, label, text;
  std::optional<std::int64_t> number;
};

// The facts a running source published for `name` (see SourceRunner), in
// order; none when the agent has not run it or wrote something unreadable.
std::vector<StatusFact> FactsFor(const store::StoreStats& stats, const std::string& name) {
  std::vector<StatusFact> facts;
  auto stored = stats.sync.find("source." + name + ".facts");
  if (stored == stats.sync.end() || stored->second.empty()) return facts;
  try {
    Poco::JSON::Parser parser;
    auto list = parser.parse(stored->second).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; list && i < list->size(); ++i) {
      auto item = list->getObject(static_cast<unsigned>(i));
      if (!item) continue;
      StatusFact fact{item->optValue<std::string>("key", ""),
                      item->optValue<std::string>("label", ""),
                      item->optValue<std::string>("text", ""),
                      {}};
      if (item->has("number")) fact.number = item->getValue<std::int64_t>("number");
      facts.push_back(std::move(fact));
    }
  } catch (const Poco::Exception&) {
    facts.clear();
  } catch (const std::exception&) {
    facts.clear();
  }
  return facts;
}

// Source names with a cursor or published facts, cursor holders first.
std::vector<std::string> SourceNames(const store::StoreStats& stats) {
  std::vector<std::string> names;
  for (const auto& cursor : stats.source_cursors) names.push_back(cursor.source);
  for (const auto& [key, value] : stats.sync) {
    const std::string suffix = ".facts";
    if (key.rfind("source.", 0) != 0 || key.size() <= 7 + suffix.size() ||
        key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string name = key.substr(7, key.size() - 7 - suffix.size());
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
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
  for (const std::string& name : SourceNames(stats)) {
    Poco::JSON::Object source(Poco::JSON_PRESERVE_KEY_ORDER);
    source.set("name", name);
    auto cursor = std::find_if(stats.source_cursors.begin(), stats.source_cursors.end(),
                               [&](const auto& c) { return c.source == name; });
    if (cursor != stats.source_cursors.end()) {
      source.set("cursor", cursor->cursor);
      source.set("records", cursor->records);
      source.set("updated_at", FormatRfc3339(cursor->updated_at));
    } else {
      source.set("cursor", Poco::Dynamic::Var());
      source.set("records", 0);
      source.set("updated_at", Poco::Dynamic::Var());
    }
    auto error = stats.sync.find("source." + name + ".error");
    source.set("last_error", error == stats.sync.end() ? "" : error->second);
    Poco::JSON::Object details(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& fact : FactsFor(stats, name)) {
      if (fact.number) {
        details.set(fact.key, *fact.number);
      } else {
        details.set(fact.key, fact.text);
      }
    }
    source.set("details", details);
    sources.add(source);
  }
  root.set("sources", sources);
  Poco::JSON::Object sync(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& [key, value] : stats.sync) {
    // manager.* holds the manager page's password hash: not for a status line.
    if (key.rfind("source.", 0) != 0 && key.rfind("manager.", 0) != 0) sync.set(key, value);
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
  const std::vector<std::string> names = SourceNames(stats);
  if (names.empty()) out << "  sources       none has delivered records yet\n";
  for (const std::string& name : names) {
    auto error = stats.sync.find("source." + name + ".error");
    const bool failing = error != stats.sync.end() && !error->second.empty();
    // At least one space after the name, however long it is.
    out << "  source " << std::left << std::setw(7) << name << std::right << " "
        << (failing ? "FAILING: " + error->second : std::string("ok")) << "; ";
    auto cursor = std::find_if(stats.source_cursors.begin(), stats.source_cursors.end(),
                               [&](const auto& c) { return c.source == name; });
    if (cursor == stats.source_cursors.end()) {
      out << "no records yet\n";
    } else {
      out << cursor->records << " records, cursor "
          << (cursor->cursor.size() > 32 ? cursor->cursor.substr(0, 29) + "..." : cursor->cursor)
          << ", updated " << FormatRfc3339(cursor->updated_at) << "\n";
    }
    for (const auto& fact : FactsFor(stats, name)) {
      out << "    " << std::left << std::setw(32) << (fact.label + ":") << std::right << " "
          << fact.text << "\n";
    }
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
