// The files the server hands to browsers and to curl, embedded in the binary
// at build time (see BUILD): the /chat page and the /client.py template.
#ifndef BITBRAIN_SERVE_WEB_WEB_ASSETS_H_
#define BITBRAIN_SERVE_WEB_WEB_ASSETS_H_

#include <string>
#include <string_view>

namespace bitbrain::serve::web {

// The /chat page (chat.html): one self-contained HTML file that calls the API
// with relative URLs, so it works under any base path.
std::string_view ChatPageHtml();

// The /client.py file (client.py) with this server's public URL baked in,
// e.g. ClientPy("https://bitbrain-abc.sprites.app"). A trailing '/' of
// `public_url` is dropped.
std::string ClientPy(std::string_view public_url);

}  // namespace bitbrain::serve::web

#endif  // BITBRAIN_SERVE_WEB_WEB_ASSETS_H_
