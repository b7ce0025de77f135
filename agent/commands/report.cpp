#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>

#include "agent/commands/commands.h"
#include "agent/report/report_format.h"
#include "agent/report/report_settings.h"
#include "agent/runtime.h"
#include "store/roi_report.h"
#include "store/store.h"

namespace tillbridge::agent {
namespace {

constexpr const char* kPrefix = "tillbridge report: ";

std::string OptionValue(const CommandLine& line, const std::string& name) {
  auto it = line.values.find(name);
  return it == line.values.end() ? "" : it->second;
}

}  // namespace

int RunReport(const LoadedConfig& config, const CommandLine& line, UnixMillis now,
              std::ostream& out, std::ostream& err) {
  if (line.words.size() > 1) {
    err << kPrefix << "unexpected argument '" << line.words[1] << "' (see tillbridge --help)\n";
    return kExitUsage;
  }
  auto settings = ReportSettingsFor(config);
  if (!settings.ok()) {
    err << kPrefix << config.path << ": " << settings.status().message() << "\n";
    return kExitUsage;
  }
  if (line.values.count("cost-per-message")) {
    auto cost = report::ParseCostPerMessage(OptionValue(line, "cost-per-message"));
    if (!cost.ok()) {
      err << kPrefix << "--cost-per-message: " << cost.status().message() << "\n";
      return kExitUsage;
    }
    settings->cost_per_message_micros = *cost;
  }
  const std::string format = line.values.count("format") ? OptionValue(line, "format") : "text";
  if (format != "text" && format != "html" && format != "json" && format != "csv") {
    err << kPrefix << "--format: unknown format '" << format << "' (use text, html, json or csv)\n";
    return kExitUsage;
  }
  // --out, or --output as `consents export` spells it.
  const std::string out_option = line.values.count("out") ? "--out" : "--output";
  const std::string out_path = OptionValue(line, out_option.substr(2));
  if (line.values.count("out") && line.values.count("output")) {
    err << kPrefix << "give --out or --output, not both\n";
    return kExitUsage;
  }
  std::string field;
  auto range = report::ResolveRange(OptionValue(line, "from"), OptionValue(line, "to"),
                                    report::Today(*settings, now), &field);
  if (!range.ok()) {
    err << kPrefix << "--" << field << ": " << range.status().message() << "\n";
    return kExitUsage;
  }
  // Opened before the store is read, so a wrong path costs no report.
  std::ofstream file;
  if (!out_path.empty()) {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) {
      err << kPrefix << out_option << " " << out_path << ": cannot write: " << std::strerror(errno)
          << "\n";
      return kExitUsage;
    }
  }
  auto opened = OpenConfiguredStore(config, /*create_dir=*/false);
  if (!opened.ok()) {
    err << kPrefix << opened.status().message() << "\n";
    return kExitFailure;
  }
  auto computed = (*opened)->roi_reports().Compute(report::QueryFor(*range, *settings));
  if (!computed.ok()) {
    err << kPrefix << "cannot compute the report: " << computed.status().message() << "\n";
    return computed.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::string text;
  if (format == "html") {
    text = report::RenderHtml(*computed);
  } else if (format == "json") {
    text = report::RenderJson(*computed);
  } else if (format == "csv") {
    text = report::RenderCsv(*computed);
  } else {
    text = report::RenderText(*computed);
  }
  if (out_path.empty()) {
    out << text;
    return kExitOk;
  }
  file << text;
  file.close();
  if (!file) {
    err << kPrefix << out_option << " " << out_path << ": cannot write: " << std::strerror(errno)
        << "\n";
    return kExitFailure;
  }
  out << "wrote the " << format << " report for " << report::FormatDate(range->first_day) << " to "
      << report::FormatDate(range->last_day) << " (both days included) to " << out_path << "\n";
  return kExitOk;
}

}  // namespace tillbridge::agent
