// Looks for known card numbers in files and SQLite databases, in any
// written form: every digit (ASCII, full-width, other scripts) is read as
// ASCII and every separator or line break between digits is dropped before
// searching, so "４１１１ 1111.1111\n1111" is found as 4111111111111111.
// Used by the tests that prove no card number is kept (ARCHITECTURE.md
// invariant 7). Deliberately independent of common/card_numbers.cpp.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tillbridge::testing {

// The card numbers the tests feed in: the payment brands' published test
// numbers.
inline const std::vector<std::string>& KnownTestCardNumbers() {
  static const std::vector<std::string> numbers = {
      "4111111111111111",  // Visa
      "5555555555554444",  // Mastercard
      "378282246310005",   // American Express
      "6011111111111117",  // Discover
      "3530111333300000",  // JCB
  };
  return numbers;
}

// `text` with digits in ASCII and separators and line breaks removed; any
// other byte is kept (so letters still separate numbers).
inline std::string DigitsJoined(std::string_view text) {
  static const std::vector<std::string> kDropped = {
      " ",
      "\t",
      "\n",
      "\r",
      ".",
      ",",
      "-",
      "/",
      "\\",
      "_",
      "\x0b",
      "\x0c",
      "\xC2\xA0",      // no-break space
      "\xE3\x80\x80",  // ideographic space
      "\xE2\x80\x8B",  // zero width space
      "\xE2\x80\x93",  // en dash
      "\xE2\x80\xA8",  // line separator
      "\xEF\xBC\x8D",  // full-width hyphen-minus
      "\xEF\xBC\x8E",  // full-width full stop
      "\xEF\xBC\x8F",  // full-width solidus
      "\xEF\xBC\xBF",  // full-width low line
  };
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    // Full-width digits U+FF10..U+FF19: EF BC 90..99.
    if (byte == 0xEF && pos + 2 < text.size() &&
        static_cast<unsigned char>(text[pos + 1]) == 0xBC &&
        static_cast<unsigned char>(text[pos + 2]) >= 0x90 &&
        static_cast<unsigned char>(text[pos + 2]) <= 0x99) {
      out.push_back(static_cast<char>('0' + (static_cast<unsigned char>(text[pos + 2]) - 0x90)));
      pos += 3;
      continue;
    }
    // Arabic-Indic digits U+0660..U+0669: D9 A0..A9.
    if (byte == 0xD9 && pos + 1 < text.size() &&
        static_cast<unsigned char>(text[pos + 1]) >= 0xA0 &&
        static_cast<unsigned char>(text[pos + 1]) <= 0xA9) {
      out.push_back(static_cast<char>('0' + (static_cast<unsigned char>(text[pos + 1]) - 0xA0)));
      pos += 2;
      continue;
    }
    bool dropped = false;
    for (const std::string& separator : kDropped) {
      if (text.compare(pos, separator.size(), separator) == 0) {
        pos += separator.size();
        dropped = true;
        break;
      }
    }
    if (!dropped) out.push_back(text[pos++]);
  }
  return out;
}

// The card numbers of `numbers` that `text` holds in any written form.
inline std::vector<std::string> CardNumbersIn(std::string_view text,
                                              const std::vector<std::string>& numbers) {
  const std::string joined = DigitsJoined(text);
  std::vector<std::string> found;
  for (const std::string& number : numbers) {
    if (joined.find(number) != std::string::npos) found.push_back(number);
  }
  return found;
}

inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Every text and blob value of every table of the SQLite database at
// `path`, one value per line ("table.column: value"). Read-only; the
// database may be open in another connection (WAL).
inline std::string DumpDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open " + path;
  }
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::string> tables;
  sqlite3_stmt* list = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &list, nullptr);
  while (list != nullptr && sqlite3_step(list) == SQLITE_ROW) {
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list, 0)));
  }
  sqlite3_finalize(list);
  for (const std::string& table : tables) {
    sqlite3_stmt* rows = nullptr;
    const std::string sql = "SELECT * FROM \"" + table + "\"";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &rows, nullptr) != SQLITE_OK) continue;
    while (sqlite3_step(rows) == SQLITE_ROW) {
      for (int column = 0; column < sqlite3_column_count(rows); ++column) {
        const int type = sqlite3_column_type(rows, column);
        if (type != SQLITE_TEXT && type != SQLITE_BLOB && type != SQLITE_INTEGER) continue;
        const auto* data = static_cast<const char*>(sqlite3_column_blob(rows, column));
        const int size = sqlite3_column_bytes(rows, column);
        out += table + "." + sqlite3_column_name(rows, column) + ": ";
        if (type == SQLITE_INTEGER) {
          out += std::to_string(sqlite3_column_int64(rows, column));
        } else if (data != nullptr) {
          out.append(data, static_cast<std::size_t>(size));
        }
        out += "\n";
      }
    }
    sqlite3_finalize(rows);
  }
  sqlite3_close(db);
  return out;
}

// One place a card number was found.
struct CardNumberFinding {
  std::string where;   // file path, or "path (table dump)"
  std::string number;  // which known number
};

// Scans every file under `dir` byte for byte (SQLite files, -wal and -shm
// included) and, for each SQLite database, every value through SQL.
inline std::vector<CardNumberFinding> ScanFolder(const std::filesystem::path& dir,
                                                 const std::vector<std::string>& numbers,
                                                 std::size_t* files_scanned = nullptr) {
  std::vector<CardNumberFinding> findings;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string content = ReadWholeFile(entry.path());
    for (const std::string& number : CardNumbersIn(content, numbers)) {
      findings.push_back({entry.path().string(), number});
    }
    if (content.rfind("SQLite format 3", 0) == 0) {
      for (const std::string& number :
           CardNumbersIn(DumpDatabase(entry.path().string()), numbers)) {
        findings.push_back({entry.path().string() + " (table dump)", number});
      }
    }
  }
  if (files_scanned != nullptr) *files_scanned = files;
  return findings;
}

}  // namespace tillbridge::testing
