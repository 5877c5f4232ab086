#include "api/content_type.hpp"

#include <gtest/gtest.h>

namespace sudachi::api {
namespace {

TEST(ContentType, ApplicationJsonWithOrWithoutParametersIsJson) {
  for (const char* v :
       {"application/json", "Application/JSON", "application/json; charset=utf-8",
        "application/json;charset=UTF-8", " application/json ", "application/json\t; x=y"}) {
    EXPECT_TRUE(is_json_content_type(v)) << v;
  }
}

// The CORS-safelisted types are the point: a foreign page may send them without a preflight.
TEST(ContentType, SafelistedAndOtherTypesAreNot) {
  for (const char* v :
       {"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/jsonx", "application/json5",
        "application/problem+json", "xapplication/json", "application/json, text/plain",
        "application /json", "application/", "json", ";application/json"}) {
    EXPECT_FALSE(is_json_content_type(v)) << v;
  }
}

}  // namespace
}  // namespace sudachi::api
