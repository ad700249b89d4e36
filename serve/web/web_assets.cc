#include "serve/web/web_assets.h"

#include <cstdio>

namespace bitbrain::serve::web {
namespace {

// The files' bytes as string literals, generated from chat.html and client.py
// by the embed_bytes genrules in BUILD. The views leave out the literals'
// closing '\0'.
constexpr char kChatHtmlLiteral[] =
#include "serve/web/chat.html.inc"
    ;
constexpr char kClientPyLiteral[] =
#include "serve/web/client.py.inc"
    ;
constexpr std::string_view kChatHtml(kChatHtmlLiteral, sizeof kChatHtmlLiteral - 1);
constexpr std::string_view kClientPy(kClientPyLiteral, sizeof kClientPyLiteral - 1);

// client.py holds this exactly once, inside a double-quoted Python string.
constexpr std::string_view kPublicUrlPlaceholder = "@BITBRAIN_PUBLIC_URL@";
static_assert(kClientPy.find(kPublicUrlPlaceholder) != std::string_view::npos,
              "client.py lost its public URL placeholder");

// `text` as the inside of a double-quoted Python string literal. The URL may
// come from request headers, so it must never be able to end the literal:
// everything but printable ASCII, and '"' and '\', becomes a \xNN escape.
std::string PythonStringContents(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
      escaped += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      escaped += hex;
    }
  }
  return escaped;
}

}  // namespace

std::string_view ChatPageHtml() { return kChatHtml; }

std::string ClientPy(std::string_view public_url) {
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  std::string client(kClientPy);
  const size_t at = client.find(kPublicUrlPlaceholder);
  client.replace(at, kPublicUrlPlaceholder.size(), PythonStringContents(public_url));
  return client;
}

}  // namespace bitbrain::serve::web
