// The generated models' vocabulary: llama.cpp's "llama" (SentencePiece)
// tokenizer with byte fallback. Its SPM merge only joins two symbols when the
// joined string is itself a token, so every word piece comes with all its
// prefixes; longer pieces score higher and win. The words are common English
// and the vocabulary of code, JSON and Claude Code's prompts, so prose and
// request bodies tokenize into about as many tokens as a real model's
// tokenizer gives (3–4 characters a token); anything else falls back to bytes.

/** SentencePiece's visible space. */
const SPACE = '\u2581';

const WORDS = `
the of and to in is you that it for are on with as be this or not your by can use
from at if an will when all any should do have has was were but they their them
then than there these those so no yes more most must may also only other into out
about which what who how why where each every some such one two three new old
first last next before after over under up down same own just very well like make
makes made need needs want get gets set sets run runs used using uses user users
file files path paths code line lines text task tasks tool tools call calls result
results command commands output input error errors value values name names type types
string number boolean object array true false null default optional required
description properties items enum format schema function functions parameter
parameters message messages content role system assistant reminder context current
date today important relevant respond answer question questions help helps working
directory project repository branch commit changes change test tests build search
read write edit create delete update add remove list show find open close start stop
time timeout long short clear concise simple complex brief active voice words describe
does done doing example examples following follow above below here note always never
instead without within while because through between again still even back much many
few less least better best good bad true correct check checks make sure please thank
instructions instruction request response responses session model models token tokens
claude code agent agents anthropic sdk cli shell bash git npm node python javascript
typescript json html css http https url api server client local host port data
information include includes including contain contains allowed allow access permission
safe unsafe security secret secrets key keys environment variable variables config
configuration option options flag flags version versions install package packages
module modules import export class method methods field fields property element
document documents documentation comment comments log logs print console return returns
value async await promise callback event events handler state status process processes
thread memory cache prefix suffix prompt prompts turn turns reuse window windows
single multiple absolute relative specific specified provide provided provides
only based block blocks content valid invalid exact exactly match matches pattern
patterns regex glob glob search grep ls cat cd mkdir rm mv cp echo curl
user's you're don't it's can't won't isn't doesn't that's there's
issue issues bug bugs fix fixes feature features review pull merge main master
understand understanding explain explanation summary summarize plan plans step steps
todo todos progress complete completed pending status mark marked
large small size sizes limit limits max min maximum minimum count total left
read-only write-only background foreground parallel sequential concurrent
via e.g. i.e. etc. vs
`;

const FRAGMENTS = `
ing ed er es ly tion tions ment ments ness able ible al ial ous ive ize ise ized
ation ations ity ies ier iest ful less ship hood ward wards ence ance ent ant
re un in dis pre pro con com sub inter trans over under non
the and ing ion tio ent ati for her ter hat tha ere ate his con res ver all ons nce
men ith ted ers pro thi wit are ess not ive was ect rea com eve per int est sta cti
ica ist ear ain one our iti rat str ure ine ous ble ter ter ide ase ope ect ult ool
`;

/** Strings that JSON, markdown and code repeat; merged from their characters. */
const SYMBOLS = [
  '":', '",', '{"', '"}', '["', '"]', '},', '],', '}}', ']]', '{}', '[]', '()', '();', '=>', '==', '===', '!=', '!==',
  '</', '/>', '\\"', '\\n\\n', '.\\n', '<!--', '-->', '##', '###', '```', '**', '--', '---', '...', '\\n', '\\"', '//', '://', '${', ').', '),',
  `${SPACE}-`, `${SPACE}*`, `${SPACE}=`, `${SPACE}{`, `${SPACE}(`, `${SPACE}"`, `${SPACE}<`, `${SPACE}#`, `${SPACE}/`,
  `${SPACE}--`, `${SPACE}\\`, `${SPACE}@`, `${SPACE}${SPACE}`, `${SPACE}${SPACE}${SPACE}${SPACE}`, `${SPACE}\u2192`,
];

export interface Vocabulary {
  readonly tokens: readonly string[];
  readonly scores: Float32Array;
  readonly types: Int32Array;
}

/** llama.cpp token types (llama_token_type). */
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const USER_DEFINED = 4;
const BYTE = 6;

/**
 * Qwen's thinking tags, added tokens its tokenizer_config marks `"special":
 * false`: llama.cpp's convert_hf_to_gguf.py types them USER_DEFINED (they do
 * not look special: no `<|…|>`), and llama.cpp's tokenizer keeps a
 * USER_DEFINED token whole even with parse_special off, as the engine
 * tokenizes (src/llama-vocab.cpp, tokenizer_st_partition: "Ignore control and
 * unknown tokens when parse_special == false … User-defined tokens are still
 * pre-tokenized before everything else"). So `<think>` is one token on a real
 * Qwen, and must be one here: split into `<`, `th`, `ink`, `>` it moved where
 * two prompts part, and with it the checkpoint a hybrid model restores.
 * `<tool_call>`, `</tool_call>`, `<tool_response>`, `</tool_response>` are the
 * same kind of token in Qwen but stay split here: every family's tool prompt
 * carries them (the Qwen 2.5 template's tool note alone: 69 tokens, 54 with
 * them whole), so adding them would shift every headline figure for no
 * checkpoint the estimate misplaces. `<|im_start|>`/`<|im_end|>` are CONTROL
 * in Qwen, whole only with parse_special, which the engine does not use:
 * split here as there.
 */
const ADDED = ['<think>', '</think>'];

function capitalised(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Word pieces: each word bare, space-led, and capitalised; each fragment bare. */
function pieces(): string[] {
  const words = WORDS.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (const w of words) out.push(w, SPACE + w, capitalised(w), SPACE + capitalised(w));
  for (const f of FRAGMENTS.split(/\s+/).filter(Boolean)) out.push(f);
  for (let c = 0x20; c < 0x7f; c++) {
    const ch = String.fromCharCode(c === 0x20 ? 0x2581 : c);
    out.push(ch);
    if (ch !== SPACE) out.push(SPACE + ch);
  }
  out.push(...SYMBOLS);
  // Every lowercase letter pair, bare and space-led, so a word we do not list
  // splits into pieces of two or three letters, as a real tokenizer's would.
  for (let a = 97; a <= 122; a++) {
    for (let b = 97; b <= 122; b++) {
      const pair = String.fromCharCode(a, b);
      out.push(pair, SPACE + pair);
    }
  }
  return out;
}

/**
 * `<unk>`, `<s>`, `</s>`, the 256 byte tokens `<0x00>`…`<0xFF>`, then every
 * word piece with all its prefixes (so SPM merges can reach it), unique, then
 * Qwen's user-defined added tokens (last, as in Qwen's own vocabulary; no
 * prefixes: llama.cpp matches them whole before any merge).
 * Scores favour longer pieces, then earlier (more common) ones.
 */
export function buildVocabulary(): Vocabulary {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [UNKNOWN, CONTROL, CONTROL];
  const scores = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(BYTE);
    scores.push(0);
  }
  const seen = new Set(tokens);
  const ordered: string[] = [];
  for (const piece of pieces()) {
    const chars = Array.from(piece);
    for (let n = 1; n <= chars.length; n++) {
      const prefix = chars.slice(0, n).join('');
      if (!seen.has(prefix)) {
        seen.add(prefix);
        ordered.push(prefix);
      }
    }
  }
  ordered.forEach((piece, i) => {
    tokens.push(piece);
    types.push(NORMAL);
    scores.push(Array.from(piece).length * 100 - i / ordered.length);
  });
  for (const token of ADDED) {
    tokens.push(token);
    types.push(USER_DEFINED);
    scores.push(0);
  }
  return { tokens, scores: Float32Array.from(scores), types: Int32Array.from(types) };
}
