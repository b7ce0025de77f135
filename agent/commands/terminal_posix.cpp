#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "agent/commands/terminal.h"

namespace tillbridge::agent {
namespace {

// Turns echo off for its lifetime when standard input is a terminal.
class EchoOff {
 public:
  EchoOff() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool active() const { return active_; }

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace

bool StdinIsTerminal() { return isatty(STDIN_FILENO) != 0; }

std::optional<std::string> ReadSecretLine(const std::string& prompt, std::ostream& out) {
  out << prompt << std::flush;
  EchoOff echo_off;
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  // The Enter key was not echoed either.
  if (echo_off.active()) out << "\n";
  if (!read) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace tillbridge::agent
