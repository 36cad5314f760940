// Differential test: pictor's Qwen3 tokenizer (`pictor-dev tokenize`) against Hugging Face's
// tokenizers (the Rust library, through its node binding) on generated prompts, plain and with
// the chat template (`--chat`: templated, then cut to 512 ids).
//
//   node tokenize_diff.mjs TOKENIZER_DIR PICTOR_DEV [COUNT] [SEED]
//
// Prints "PASS tokenize_diff ..." and exits 0 when every id list agrees; otherwise prints the
// first mismatches (prompt as JSON, both id lists) and exits 1.
//
// Prompts are random mixes of the pieces the pre-tokenizer regex and the BPE treat differently:
// words in several scripts and cases, contractions, digit runs, punctuation, whitespace runs and
// line breaks, emoji (with ZWJ and variation selectors), combining marks, special and added
// tokens inside the text, and long runs that cross the 512-id cut. Characters whose NFC form
// changed after Unicode 9 (the `nfc-unicode9` cases, where our utf8proc and the Rust crate may
// legitimately differ) are not generated.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Tokenizer } from 'tokenizers';

const [dir, pictorDev, countArg, seedArg] = process.argv.slice(2);
if (!dir || !pictorDev) {
  console.error('usage: node tokenize_diff.mjs TOKENIZER_DIR PICTOR_DEV [COUNT] [SEED]');
  process.exit(2);
}
const count = Number(countArg ?? 400);
let state = BigInt(seedArg ?? 20261128) & 0xffffffffffffffffn;

// splitmix64: the same prompts for a seed on every machine.
function next() {
  state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  let z = state;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return Number((z ^ (z >> 31n)) & 0xffffffffn) / 2 ** 32;
}
const pick = (a) => a[Math.floor(next() * a.length)];
const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));

const words = ['a', 'photo', 'of', 'the', 'Cat', 'DOG', 'sunset', 'über', 'naïve', 'café', 'Straße', 'ÉCOLE',
  'водка', 'Москва', 'δέλτα', 'Ωmega', 'שלום', 'مرحبا', 'नमस्ते', 'ภาษาไทย', '한국어', 'こんにちは', 'カタカナ',
  '你好', '世界', '繁體中文', 'github.com', 'e-mail', 'snake_case', 'camelCase', 'x86_64', 'C++', 'AI'];
const contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D", "'x"];
const punct = ['.', ',', '!', '?', '...', ';', ':', '-', '--', '—', '–', '(', ')', '[', ']', '{', '}', '"', "'", '`',
  '#', '@', '$', '%', '^', '&', '*', '+', '=', '/', '\\', '|', '<', '>', '~', '。', '、', '！', '？', '「', '」', '…'];
const spaces = [' ', ' ', ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n', '\u00a0', '\u3000', '\u2003', ''];
const emoji = ['😀', '🎨', '🖼️', '👩‍💻', '👨‍👩‍👧‍👦', '🏳️‍🌈', '❤️', '✨', '🇯🇵', '👍🏽', '🐱', '☕'];
const combining = ['e\u0301', 'a\u0308', 'n\u0303', 'o\u0302\u0323', 'A\u030a', 'c\u0327', 'i\u0307'];
const special = ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<think>', '</think>', '<|vision_start|>',
  '<tool_call>', '<|im_start', 'im_end|>', '<|endoftext'];

function digits() {
  let s = '';
  for (let i = int(1, 12); i > 0; --i) s += String(int(0, 9));
  return next() < 0.3 ? s + '.' + int(0, 99) : s;
}

function piece() {
  const r = next();
  if (r < 0.38) return pick(words);
  if (r < 0.46) return pick(contractions);
  if (r < 0.54) return digits();
  if (r < 0.66) return pick(punct);
  if (r < 0.74) return pick(emoji);
  if (r < 0.79) return pick(combining);
  if (r < 0.84) return pick(special);
  if (r < 0.9) return pick(words).toUpperCase();
  return pick(spaces);
}

function prompt(i) {
  if (i % 50 === 49) {  // long: crosses the 512-id cut of --chat
    let s = '';
    while (s.length < 4000) s += pick(words) + pick(spaces) + (next() < 0.2 ? digits() : '');
    return s;
  }
  let s = '';
  for (let n = int(0, 40); n > 0; --n) s += piece() + (next() < 0.6 ? pick(spaces) : '');
  return s;
}

const prompts = Array.from({ length: count }, (_, i) => prompt(i));
const tok = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
const chat = (p) => `<|im_start|>user\n${p}<|im_end|>\n<|im_start|>assistant\n`;

async function expected(text, cut) {
  const ids = Array.from((await tok.encode(text, null, { addSpecialTokens: false })).getIds());
  return cut ? ids.slice(0, 512) : ids;
}

function ours(chatFlag) {
  const args = ['tokenize', '--tokenizer', dir].concat(chatFlag ? ['--chat'] : []);
  const r = spawnSync(pictorDev, args, { input: prompts.map((p) => JSON.stringify(p)).join('\n') + '\n',
    maxBuffer: 1 << 28, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`${pictorDev} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    process.exit(1);
  }
  const lines = r.stdout.split('\n').filter((l) => l.length > 0);
  if (lines.length !== prompts.length) {
    console.error(`pictor-dev printed ${lines.length} lines for ${prompts.length} prompts`);
    process.exit(1);
  }
  return lines.map((l) => JSON.parse(l));
}

let mismatches = 0, total = 0, longest = 0;
for (const chatFlag of [false, true]) {
  const got = ours(chatFlag);
  for (let i = 0; i < prompts.length; ++i) {
    const want = await expected(chatFlag ? chat(prompts[i]) : prompts[i], chatFlag);
    ++total;
    longest = Math.max(longest, want.length);
    if (JSON.stringify(want) === JSON.stringify(got[i])) continue;
    if (++mismatches <= 5) {
      console.log(`MISMATCH${chatFlag ? ' (--chat)' : ''} prompt ${JSON.stringify(prompts[i])}`);
      console.log(`  hf:     ${JSON.stringify(want)}`);
      console.log(`  pictor: ${JSON.stringify(got[i])}`);
    }
  }
}
if (mismatches > 0) {
  console.log(`FAIL tokenize_diff: ${mismatches} of ${total} id lists differ`);
  process.exit(1);
}
console.log(`PASS tokenize_diff: ${total} id lists agree (${count} prompts, plain and --chat; longest ${longest} ids)`);
