// The little the CLI needs of a terminal: whether standard input is one,
// and reading a line from it without echo (for passwords). One file per
// platform (terminal_posix.cpp, terminal_windows.cpp).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

namespace tillbridge::agent {

// Whether standard input is a terminal.
bool StdinIsTerminal();

// Writes `prompt` to `out` and reads one line from standard input with
// echo off when it is a terminal; nullopt at end of input. The line ending
// is dropped.
std::optional<std::string> ReadSecretLine(const std::string& prompt, std::ostream& out);

}  // namespace tillbridge::agent
