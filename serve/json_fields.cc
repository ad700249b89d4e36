#include "serve/json_fields.h"

#include <cmath>

#include "serve/api_error.h"

namespace bitbrain::serve {

using nlohmann::json;

json ParseJsonObject(const std::string& body) {
  json value = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    throw ApiError(400, "invalid_request_error", "the request body is not valid JSON");
  }
  if (!value.is_object()) {
    throw ApiError(400, "invalid_request_error", "the request body must be a JSON object");
  }
  return value;
}

const json* FindField(const json& object, const std::string& name) {
  const auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::optional<bool> BoolField(const json& object, const std::string& name) {
  const json* field = FindField(object, name);
  if (!field) return std::nullopt;
  if (!field->is_boolean()) throw InvalidField(name, "'" + name + "' must be a boolean");
  return field->get<bool>();
}

std::optional<std::string> StringField(const json& object, const std::string& name) {
  const json* field = FindField(object, name);
  if (!field) return std::nullopt;
  if (!field->is_string()) throw InvalidField(name, "'" + name + "' must be a string");
  return field->get<std::string>();
}

std::optional<double> NumberField(const json& object, const std::string& name, double min,
                                  double max) {
  const json* field = FindField(object, name);
  if (!field) return std::nullopt;
  if (!field->is_number()) throw InvalidField(name, "'" + name + "' must be a number");
  const double value = field->get<double>();
  if (!(value >= min && value <= max)) {
    throw InvalidField(name, "'" + name + "' must be between " + json(min).dump() + " and " +
                                 json(max).dump());
  }
  return value;
}

std::optional<int64_t> IntegerField(const json& object, const std::string& name, int64_t min,
                                    int64_t max) {
  const json* field = FindField(object, name);
  if (!field) return std::nullopt;
  // 3.0 is an integer to JavaScript clients, so integral floats pass.
  const bool integral = field->is_number_integer() ||
                        (field->is_number_float() && std::isfinite(field->get<double>()) &&
                         std::trunc(field->get<double>()) == field->get<double>() &&
                         std::fabs(field->get<double>()) < 0x1p63);
  if (!integral) throw InvalidField(name, "'" + name + "' must be an integer");
  const bool too_big = field->is_number_unsigned() && field->get<uint64_t>() > INT64_MAX;
  const int64_t value = field->is_number_float() ? static_cast<int64_t>(field->get<double>())
                                                 : field->get<int64_t>();
  if (too_big || value < min || value > max) {
    throw InvalidField(name, "'" + name + "' must be between " + std::to_string(min) + " and " +
                                 std::to_string(max));
  }
  return value;
}

}  // namespace bitbrain::serve
