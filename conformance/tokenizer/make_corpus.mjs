// Generates the tokenizer conformance corpus, deterministically:
//   node make_corpus.mjs OUT [MIN_BYTES]
// Documents mix fragments of the seed texts (seeds/) with generated ones --
// numbers, whitespace runs, contractions in mixed case, special-token
// look-alikes, random code points and ill-formed UTF-8 -- chosen by a seeded
// PRNG, until the corpus holds MIN_BYTES (default 1.25 MB). The output is a
// sequence of "<byte count>\n<bytes>" documents.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [outPath, minBytesArg] = process.argv.slice(2);
if (!outPath) throw new Error('usage: node make_corpus.mjs OUT [MIN_BYTES]');
const minBytes = Number(minBytesArg ?? 1_250_000);

// mulberry32: a small PRNG whose output is the same on every machine.
let state = 0x5eed1234;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (items) => items[int(0, items.length - 1)];
const chance = (p) => random() < p;
const repeat = (n, make) => Array.from({ length: n }, make).join('');

const seedDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seeds');
const seed = (name) => fs.readFileSync(path.join(seedDir, name), 'utf8');
const proseSentences = seed('prose_en.txt').split(/(?<=[.!?"])\s+/);
const codeLines = seed('code.txt').split('\n');
const scriptLines = seed('scripts.txt').split('\n').filter((l) => l);
const emoji = seed('emoji.txt').split(/\s+/).filter((e) => e);

// A window of `count` consecutive items, starting anywhere.
function window(items, count) {
  const start = int(0, items.length - 1);
  return items.slice(start, start + count);
}

function changeCase(text) {
  switch (int(0, 9)) {
    case 0: return text.toUpperCase();
    case 1: return text.toLowerCase();
    case 2: return text.replace(/\p{L}+/gu, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
    case 3: return Array.from(text, (c) => (chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
    default: return text;
  }
}

function prose() {
  return changeCase(window(proseSentences, int(1, 6)).join(pick([' ', ' ', '  ', '\n'])));
}

function code() {
  const indent = pick(['    ', '  ', '\t', '        ', '']);
  const levels = (leading) => leading.length / (leading[0] === '\t' ? 1 : 4);
  const reindent = (line) => line.replace(/^( {4}|\t)+/, (leading) => indent.repeat(levels(leading)));
  return window(codeLines, int(1, 25)).map(reindent).join(pick(['\n', '\n', '\r\n']));
}

function script() {
  const text = window(scriptLines, int(1, 4)).join('\n');
  if (!chance(0.3)) return text;
  const chars = Array.from(text);  // cut on a code point
  return chars.slice(int(0, chars.length - 1)).join('');
}

function emojiRun() {
  const seps = ['', ' ', ' ', '\u200d', '\ufe0f', 'x', ' ok ', '!', '\n'];
  return repeat(int(1, 12), () => pick(emoji) + pick(seps));
}

const digitSets = [
  '0123456789',
  '\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669',  // Arabic-Indic
  '\u0966\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e\u096f',  // Devanagari
  '\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19',  // fullwidth
];
function digits(n, set = '0123456789') {
  const chars = Array.from(set);
  return repeat(n, () => pick(chars));
}
function numbers() {
  switch (int(0, 7)) {
    case 0: return digits(int(1, 40));
    case 1: return `${digits(int(1, 6))}.${digits(int(1, 8))}`;
    case 2: return `${int(1, 28)}/${int(1, 12)}/${int(1900, 2099)} ${int(0, 23)}:${digits(2)}`;
    case 3: return `+${int(1, 99)} (${digits(3)}) ${digits(3)}-${digits(4)}`;
    case 4: return repeat(int(2, 6), () => digits(3) + pick([',', ' ', '.', '\u202f']));
    case 5: return digits(int(1, 12), pick(digitSets));
    case 6: return pick(['\u00bd', '\u00b2', '\u2167', '\u2460', '\u00be', '\u2082']) + digits(int(0, 4));
    default:
      return `v${int(0, 9)}.${int(0, 99)}.${int(0, 999)}-rc${int(1, 9)} ` +
        `0x${int(0, 0xffffff).toString(16)} ${int(-1000, 1000)}e${int(-30, 30)}`;
  }
}

const whitespaceUnits = [' ', ' ', ' ', '\t', '\n', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2003',
  '\u2028', '\u2029', '\ufeff', '\u0085', '\u000b', '\u000c', '\u200b', '\u1680', '\u202f'];
function whitespace() {
  const long = chance(0.1);
  const unit = pick(whitespaceUnits);
  const run = chance(0.5)
    ? unit.repeat(long ? int(100, 3000) : int(1, 20))
    : repeat(long ? int(100, 1000) : int(1, 20), () => pick(whitespaceUnits));
  return pick(['', 'word', 'x', '.', '1']) + run + pick(['', 'next', ' word', '!', '2']);
}

const apostrophes = ["'", "'", "'", '\u2019', '`', "''"];
const suffixes = ['s', 'S', 't', 'T', 're', 'RE', 'Re', 'rE', 've', 'VE', 'Ve', 'vE', 'm', 'M',
  'll', 'LL', 'Ll', 'lL', 'd', 'D', 'x', 'st', 'sT', 'mm', 'dd', '\u017f', ''];
function contractions() {
  const words = ['it', 'IT', 'They', 'we', 'YOU', 'i', 'she', 'O', 'rock', 'n', 'don', 'CAN', '', ' ', '123'];
  const ends = [' ', '', ', ', '\n'];
  return repeat(int(1, 10), () => pick(words) + pick(apostrophes) + pick(suffixes) + pick(ends));
}

function specialLookalikes() {
  const names = ['begin_of_text', 'end_of_text', 'eot_id', 'start_header_id', 'end_header_id', 'eom_id',
    'python_tag', `reserved_special_token_${int(0, 260)}`, 'not_a_token', ''];
  const before = ['', 'User: ', ' ', '\n'];
  const after = ['', 'Hi', ' x', '\n'];
  return repeat(int(1, 4), () => `${pick(before)}<|${pick(names)}|>${pick(after)}`);
}

// Random code points from blocks whose letters and digits were all assigned
// by Unicode 14 (PCRE2's tables); newer letters would differ from Node's.
const codePointRanges = [
  [0x20, 0x7e], [0x00, 0x1f], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x5d0, 0x5ea],
  [0x621, 0x64a], [0x660, 0x669], [0x905, 0x939], [0x966, 0x96f], [0xe01, 0xe3a], [0x10d0, 0x10fa],
  [0x2000, 0x206f], [0x2100, 0x218b], [0x2190, 0x23ff], [0x2500, 0x27bf], [0x3041, 0x3096],
  [0x30a1, 0x30fa], [0x4e00, 0x9ffc], [0xac00, 0xd7a3], [0xe000, 0xe0ff], [0xff01, 0xff9f],
  [0x1d400, 0x1d454], [0x1f300, 0x1f5ff], [0x1f600, 0x1f64f], [0x20000, 0x2a6dd],
];
function codePoints() {
  const [lo, hi] = pick(codePointRanges);
  const codePoint = () => (chance(0.8) ? int(lo, hi) : int(...pick(codePointRanges)));
  return repeat(int(1, 30), () => String.fromCodePoint(codePoint()));
}

// Ill-formed UTF-8 among ASCII: truncated, overlong, surrogate, out of range
// and stray bytes.
const illFormed = [
  [0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xbf], [0xc3], [0xe2, 0x82], [0xe0, 0x80, 0x80],
  [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x9f, 0x98],
  [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe], [0xff], [0xc3, 0xc3, 0xa9], [0xe4, 0xb8, 0xe4, 0xb8, 0x80],
];
const randomHighBytes = () => Array.from({ length: int(1, 6) }, () => int(0x80, 0xff));
function invalidUtf8() {
  const parts = [];
  for (let n = int(1, 8); n > 0; n--) {
    parts.push(Buffer.from(pick(['', 'a', 'abc ', ' ', '\n', '\u00e9', '\u4e00', '1', "'s"])));
    parts.push(Buffer.from(chance(0.7) ? pick(illFormed) : randomHighBytes()));
  }
  return Buffer.concat(parts);
}

const fragmentMakers = [
  [prose, 30], [code, 14], [script, 16], [emojiRun, 5], [numbers, 7], [whitespace, 6],
  [contractions, 6], [specialLookalikes, 3], [codePoints, 6], [invalidUtf8, 4],
];
const totalWeight = fragmentMakers.reduce((sum, [, w]) => sum + w, 0);
function fragment() {
  let r = random() * totalWeight;
  for (const [make, weight] of fragmentMakers) {
    if ((r -= weight) < 0) return make();
  }
  return fragmentMakers[0][0]();
}

function document(fragments, makeFragment) {
  const parts = [];
  for (let n = fragments; n > 0; n--) {
    const piece = makeFragment();
    parts.push(Buffer.isBuffer(piece) ? piece : Buffer.from(piece, 'utf8'));
    parts.push(Buffer.from(pick([' ', ' ', '\n', '', '\n\n', '\t', '\r\n', '. '])));
  }
  return Buffer.concat(parts);
}

// Edge cases first, then short documents (a pre-token or a few: BPE over
// whole documents), then long ones.
const documents = ['', ' ', '\n', 'a', ' '.repeat(5000), '\n'.repeat(300), '\r\n'.repeat(200) + 'x',
  'x' + ' '.repeat(2000) + 'y', '\t'.repeat(100), '0'.repeat(1000), 'a'.repeat(3000)]
  .map((s) => Buffer.from(s));
const shortFragmentMakers = [codePoints, contractions, numbers, script, emojiRun, invalidUtf8];
for (let n = 0; n < 500; n++) {
  documents.push(document(int(1, 2), () => pick(shortFragmentMakers)()));
}
let size = documents.reduce((sum, d) => sum + d.length, 0);
while (size < minBytes) {
  const d = document(int(3, 40), fragment);
  documents.push(d);
  size += d.length;
}
const framed = [];
for (const d of documents) framed.push(Buffer.from(`${d.length}\n`), d);
fs.writeFileSync(outPath, Buffer.concat(framed));
console.error(`corpus: ${documents.length} documents, ${size} bytes of text`);
