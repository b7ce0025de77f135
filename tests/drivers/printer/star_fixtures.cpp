#include "tests/drivers/printer/star_fixtures.h"

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

std::vector<std::string> Strings(const Poco::JSON::Array::Ptr& array) {
  std::vector<std::string> values;
  if (array.isNull()) return values;
  for (unsigned i = 0; i < array->size(); ++i) values.push_back(array->getElement<std::string>(i));
  return values;
}

std::vector<StarReceiptFixture> MakeStarReceipts() {
  const std::string out = RunFixtureScript("make-star-receipts.mjs");
  Poco::JSON::Parser parser;
  const auto manifest =
      parser.parse(ReadFileBytes(out + "/manifest.json")).extract<Poco::JSON::Array::Ptr>();
  std::vector<StarReceiptFixture> fixtures;
  for (unsigned i = 0; i < manifest->size(); ++i) {
    const auto item = manifest->getObject(i);
    StarReceiptFixture f;
    const std::string file = item->getValue<std::string>("file");
    f.name = file.substr(0, file.size() - 4);
    f.bytes = ReadFileBytes(out + "/" + file);
    f.encoder = item->getValue<std::string>("encoder");
    f.language = item->getValue<std::string>("language");
    f.receipts = item->getValue<std::size_t>("receipts");
    f.no_cut = item->optValue<bool>("no_cut", false);
    f.receipt_number = item->getValue<std::string>("receipt_number");
    f.second_receipt_number = item->optValue<std::string>("second_receipt_number", "");
    f.kind = item->getValue<std::string>("kind");
    f.total_minor = item->getValue<std::int64_t>("total_minor");
    f.tax_minor = item->getValue<std::int64_t>("tax_minor");
    f.lines = item->getValue<std::size_t>("lines");
    f.phone = item->getValue<std::string>("phone");
    f.coupons = Strings(item->getArray("coupons"));
    f.words = Strings(item->getArray("words"));
    REQUIRE_MESSAGE(f.bytes.size() == item->getValue<std::size_t>("bytes"), f.name);
    fixtures.push_back(std::move(f));
  }
  return fixtures;
}

}  // namespace

const std::vector<StarReceiptFixture>& StarReceipts() {
  static const std::vector<StarReceiptFixture> fixtures = MakeStarReceipts();
  return fixtures;
}

}  // namespace tillbridge::testing
