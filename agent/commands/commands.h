// The CLI subcommands other than `run`. Each returns the process exit code
// and writes human-readable output to `out` and problems to `err`.
#pragma once

#include <iosfwd>
#include <string>

#include "agent/cli.h"
#include "agent/config.h"
#include "common/clock.h"

namespace tillbridge::agent {

// Exit codes shared by all subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and found a problem
inline constexpr int kExitUsage = 2;    // bad arguments or bad config

// `tillbridge status`: store statistics, sources, sync state, API address.
int RunStatus(const LoadedConfig& config, bool json, std::ostream& out, std::ostream& err);

// `tillbridge doctor`: one line per check with ok/FAIL and the fix.
int RunDoctor(const LoadedConfig& config, std::ostream& out);

// `tillbridge decode FILE`: a captured printer stream through the decoder
// and the receipt templates; prints each receipt's text and what was
// extracted, or why no template matched (exit 1 when any did not).
// `config` is null when no config file is in use.
int RunDecode(const CommandLine& line, const LoadedConfig* config, std::ostream& out,
              std::ostream& err);

// `tillbridge report`: the ROI report for --from/--to (local days, both
// included; the last 30 days by default) as a terminal summary or, with
// --format, html, json or csv to --out FILE or standard output. `now` sets
// "today" for the default range. Exit 2 names the bad option.
int RunReport(const LoadedConfig& config, const CommandLine& line, UnixMillis now,
              std::ostream& out, std::ostream& err);

// `tillbridge manager-password`: sets the manager page's password, read
// twice from the terminal (echo off), or once per line from standard input
// with --stdin. Signs every manager session out.
int RunManagerPassword(const LoadedConfig& config, const CommandLine& line, std::ostream& out,
                       std::ostream& err);

// The local API's base URL from config, or "" when the API is disabled.
std::string ApiBaseUrl(const LoadedConfig& config);

}  // namespace tillbridge::agent
