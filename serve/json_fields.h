// Type-checked reading of request fields: each function returns nullopt for
// an absent (or null) field and throws a 400 ApiError naming the field when
// it has the wrong type or is out of range.
#ifndef BITBRAIN_SERVE_JSON_FIELDS_H_
#define BITBRAIN_SERVE_JSON_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace bitbrain::serve {

// The request body as a JSON object; 400 for malformed JSON or another type.
nlohmann::json ParseJsonObject(const std::string& body);

// The field, or nullptr if it is absent or null.
const nlohmann::json* FindField(const nlohmann::json& object, const std::string& name);

std::optional<bool> BoolField(const nlohmann::json& object, const std::string& name);
std::optional<std::string> StringField(const nlohmann::json& object, const std::string& name);
// A number in [min, max].
std::optional<double> NumberField(const nlohmann::json& object, const std::string& name,
                                  double min, double max);
// An integer in [min, max].
std::optional<int64_t> IntegerField(const nlohmann::json& object, const std::string& name,
                                    int64_t min, int64_t max);

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_JSON_FIELDS_H_
