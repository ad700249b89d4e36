// The API's error objects (serving.md section 3): every failure a client can
// cause is an ApiError carrying its HTTP status and the four keys of
// {"error": {"message", "type", "param", "code"}}.
#ifndef BITBRAIN_SERVE_API_ERROR_H_
#define BITBRAIN_SERVE_API_ERROR_H_

#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace bitbrain::serve {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, const std::string& message,
           std::optional<std::string> param = std::nullopt,
           std::optional<std::string> code = std::nullopt)
      : std::runtime_error(message),
        status_(status),
        type_(std::move(type)),
        param_(std::move(param)),
        code_(std::move(code)) {}

  int status() const { return status_; }
  // {"error": {...}} with all four keys; param and code may be null.
  nlohmann::json ToJson() const;
  // Whether a client retrying the same request could succeed (429, 503).
  bool retryable() const { return status_ == 429 || status_ == 503; }

 private:
  int status_;
  std::string type_;
  std::optional<std::string> param_;
  std::optional<std::string> code_;
};

// 400 invalid_request_error about the request field `param`.
ApiError InvalidField(const std::string& param, const std::string& message);

// JSON text as the API sends it: ill-formed UTF-8 (a token may hold part of a
// character) becomes U+FFFD instead of throwing.
std::string Dump(const nlohmann::json& value);

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_API_ERROR_H_
