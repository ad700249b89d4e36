#include "serve/api_error.h"

namespace bitbrain::serve {

nlohmann::json ApiError::ToJson() const {
  const auto or_null = [](const std::optional<std::string>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  return {{"error",
           {{"message", what()}, {"type", type_}, {"param", or_null(param_)},
            {"code", or_null(code_)}}}};
}

ApiError InvalidField(const std::string& param, const std::string& message) {
  return ApiError(400, "invalid_request_error", message, param);
}

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bitbrain::serve
