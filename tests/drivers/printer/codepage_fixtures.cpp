#include "tests/drivers/printer/codepage_fixtures.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/drivers/printer/node_fixtures.h"

namespace tillbridge::testing {
namespace {

std::vector<EncoderTable> Tables(const Poco::JSON::Array::Ptr& list) {
  std::vector<EncoderTable> tables;
  for (unsigned i = 0; i < list->size(); ++i) {
    auto item = list->getObject(i);
    EncoderTable table;
    table.number = item->getValue<int>("number");
    table.page = item->getValue<std::string>("page");
    auto points = item->getArray("points");
    REQUIRE(points->size() == table.points.size());
    for (unsigned b = 0; b < points->size(); ++b) {
      // The encoder leaves holes (null) where a page defines nothing.
      table.points[b] = points->isNull(b) ? 0xFFFD : points->getElement<std::uint32_t>(b);
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

CodePageFixtures Generate() {
  const std::string out = RunFixtureScript("make-codepage-receipts.mjs");
  Poco::JSON::Parser parser;
  auto manifest = parser.parse(ReadFileBytes(out + "/manifest.json")).extract<Poco::JSON::Object::Ptr>();
  CodePageFixtures fixtures;
  auto receipts = manifest->getArray("receipts");
  for (unsigned i = 0; i < receipts->size(); ++i) {
    auto item = receipts->getObject(i);
    CodePageStream stream;
    stream.file = item->getValue<std::string>("file");
    stream.mode = item->getValue<std::string>("mode");
    stream.page = item->optValue<std::string>("page", "");
    stream.esc_t = item->optValue<int>("esc_t", -1);
    stream.bytes = ReadFileBytes(out + "/" + stream.file);
    auto lines = item->getArray("lines");
    for (unsigned l = 0; l < lines->size(); ++l) {
      auto line = lines->getObject(l);
      EncodedLine encoded;
      encoded.text = line->getValue<std::string>("text");
      encoded.status = line->getValue<std::string>("status");
      if (!line->isNull("expected")) encoded.expected = line->getValue<std::string>("expected");
      stream.lines.push_back(std::move(encoded));
    }
    fixtures.streams.push_back(std::move(stream));
  }
  auto tables = manifest->getObject("tables");
  fixtures.escpos_tables = Tables(tables->getArray("escpos"));
  fixtures.star_tables = Tables(tables->getArray("star"));
  return fixtures;
}

}  // namespace

const CodePageFixtures& EncodedCodePageText() {
  static const CodePageFixtures fixtures = Generate();
  return fixtures;
}

}  // namespace tillbridge::testing
