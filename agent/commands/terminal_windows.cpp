#include <io.h>
#include <windows.h>

#include <cstdio>
#include <iostream>

#include "agent/commands/terminal.h"

namespace tillbridge::agent {
namespace {

// Turns console echo off for its lifetime when standard input is a console.
class EchoOff {
 public:
  EchoOff() : input_(GetStdHandle(STD_INPUT_HANDLE)) {
    if (input_ == INVALID_HANDLE_VALUE || !GetConsoleMode(input_, &saved_)) return;
    active_ = SetConsoleMode(input_, saved_ & ~static_cast<DWORD>(ENABLE_ECHO_INPUT)) != 0;
  }
  ~EchoOff() {
    if (active_) SetConsoleMode(input_, saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool active() const { return active_; }

 private:
  HANDLE input_;
  DWORD saved_ = 0;
  bool active_ = false;
};

}  // namespace

bool StdinIsTerminal() { return _isatty(_fileno(stdin)) != 0; }

std::optional<std::string> ReadSecretLine(const std::string& prompt, std::ostream& out) {
  out << prompt << std::flush;
  EchoOff echo_off;
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (echo_off.active()) out << "\n";
  if (!read) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace tillbridge::agent
