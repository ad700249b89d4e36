// Stop strings over streamed text: text is passed on as it comes, except a
// suffix that could still grow into a stop string, which is held back until
// it either does (generation stops; the stop string and what follows are
// dropped) or cannot any more. The text handed out never contains a stop
// string. Pieces of well-formed UTF-8 in give pieces of well-formed UTF-8
// out: a held suffix starts where a (well-formed) stop string could start,
// which is always a character boundary.
#ifndef BITBRAIN_ENGINE_GENERATE_STOP_STRINGS_H_
#define BITBRAIN_ENGINE_GENERATE_STOP_STRINGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace bitbrain::generate {

class StopStrings {
 public:
  // Empty stop strings are ignored.
  explicit StopStrings(std::vector<std::string> stop_strings);

  // Appends `text` and returns what can be passed on now.
  std::string Push(std::string_view text);
  // Whether a stop string has appeared; Push then returns nothing more.
  bool stopped() const { return stopped_; }
  // The end of the text: what was held back, unless a stop string appeared.
  std::string Finish();

 private:
  std::vector<std::string> stop_strings_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace bitbrain::generate

#endif  // BITBRAIN_ENGINE_GENERATE_STOP_STRINGS_H_
