// Tokenizes a corpus with the reference, llama3-tokenizer-js:
//   node reference_tokenize.mjs BUNDLE.js CORPUS > IDS
// The corpus is a sequence of documents, each "<byte count>\n<bytes>". Each
// document's bytes become text through the WHATWG UTF-8 decoder (ill-formed
// bytes -> U+FFFD), as any text reaching the package would. Writes one line
// of space-separated token ids per document, without BOS/EOS. Special-token
// text is tokenized as plain text (the engine never makes special tokens out
// of text), hence a special-token regex that matches nothing.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundlePath, corpusPath] = process.argv.slice(2);
const tokenizer = (await import(pathToFileURL(bundlePath).href)).default;
const corpus = fs.readFileSync(corpusPath);
const decoder = new TextDecoder('utf-8');
const options = { bos: false, eos: false, specialTokenRegex: /(?!)/g };

const lines = [];
let offset = 0;
while (offset < corpus.length) {
  const newline = corpus.indexOf(10, offset);
  if (newline < 0) throw new Error(`corpus: no length line at byte ${offset}`);
  const size = Number(corpus.toString('latin1', offset, newline));
  const end = newline + 1 + size;
  if (!Number.isSafeInteger(size) || end > corpus.length) {
    throw new Error(`corpus: bad document length at byte ${offset}`);
  }
  lines.push(tokenizer.encode(decoder.decode(corpus.subarray(newline + 1, end)), options).join(' '));
  offset = end;
}
process.stdout.write(lines.join('\n') + '\n');
