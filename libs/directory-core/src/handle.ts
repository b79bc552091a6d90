/**
 * Handle rules: what a handle may be, its one normal form, and its confusable skeleton.
 *
 *     normalise:  an optional leading "@" dropped; NFKC (ﬀ → ff, fullwidth → ASCII); full case
 *                 folding (ß → ss, final ς → σ); NFKC again
 *     characters: letters, combining marks and decimal digits (Unicode's general categories) and
 *                 "_", of the scripts UTS #31 recommends for identifiers (Table 5); no punctuation,
 *                 symbols, spaces, controls, default-ignorable (invisible) characters or Latin
 *                 modifier letters (ʼ ʰ: they pass for punctuation)
 *     form:       3..32 code points; starts with a letter; "_" neither last nor doubled; at most
 *                 two generic combining marks (script Inherited) in a row in NFD, never the same
 *                 twice
 *     scripts:    one script, as UTS #39 §5.1 resolves Script_Extensions (Han with Hiragana and
 *                 Katakana, Han with Bopomofo, Han with Hangul count as one: Japanese, Chinese,
 *                 Korean), or Latin with one of those three ("highly restrictive", UTS #39 §5.2)
 *     look-alike: a handle with no Latin letter whose skeleton is all ASCII (Cyrillic "раураl")
 *                 is refused: it would pass for a Latin handle
 *     skeleton:   UTS #39 §4: NFD, each code point replaced by its prototype from Unicode's
 *                 confusables.txt (the `unhomoglyph` package's copy, Unicode 13.0), NFD again
 *
 * The directory keys entries by the skeleton, not the handle (see `kdf.ts`): look-alikes that pass
 * every rule above ("modern" and "rnodern", "paypal" and "paypa1") are one entry, so a second one
 * cannot be registered and looking one up finds the other's owner. The character data is the
 * JavaScript engine's (the `\p{…}` properties of its Unicode version); confusables are the
 * package's. Changing either changes some skeletons, hence some keys: that is a new key version.
 * @module
 */
import _CONFUSABLES from 'unhomoglyph/data.json' with { type: 'json' };
import { _typeName } from './_bytes.js';
import { DirectoryError } from './errors.js';

/** Fewest code points a normalised handle has. */
export const HANDLE_MIN_LENGTH = 3;
/** Most code points a normalised handle has. */
export const HANDLE_MAX_LENGTH = 32;
// Longer raw input is refused before normalising: NFKC can expand a code point up to 18 times, and
// no handle of 32 code points needs more than this many UTF-16 units before it.
const _MAX_INPUT = 256;

/** A handle in its normal form and the skeleton its directory key is made from. */
export interface NormalizedHandle {
  /** The normal form: what a user sees and what the record holds. */
  readonly handle: string;
  /** The UTS #39 skeleton of {@link handle}: equal for look-alikes; not meant to be shown. */
  readonly skeleton: string;
}

// UTS #31 Table 5 (Recommended Scripts), Common and Inherited aside (handled below).
const _SCRIPTS = [
  'Arabic', 'Armenian', 'Bengali', 'Bopomofo', 'Cyrillic', 'Devanagari', 'Ethiopic', 'Georgian',
  'Greek', 'Gujarati', 'Gurmukhi', 'Han', 'Hangul', 'Hebrew', 'Hiragana', 'Kannada', 'Katakana',
  'Khmer', 'Lao', 'Latin', 'Malayalam', 'Myanmar', 'Oriya', 'Sinhala', 'Tamil', 'Telugu', 'Thaana',
  'Thai', 'Tibetan',
] as const;
const _SCRIPT_RES = _SCRIPTS.map((s) => [s, new RegExp(`^\\p{scx=${s}}$`, 'u')] as const);
// UTS #39 §5.1's augmentation: the writing systems that mix scripts as a matter of course.
const _AUGMENT: Readonly<Record<string, readonly string[]>> = {
  Han: ['Jpan', 'Kore', 'Hanb'],
  Hiragana: ['Jpan'],
  Katakana: ['Jpan'],
  Hangul: ['Kore'],
  Bopomofo: ['Hanb'],
};
const _CJK = ['Jpan', 'Kore', 'Hanb'];

const _ALLOWED = /^[\p{L}\p{M}\p{Nd}_]$/u;
const _IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const _LETTER = /^\p{L}$/u;
// Latin modifier letters (ʼ ʰ ˈ) pass for apostrophes, quotes and superscripts.
const _LATIN_MODIFIER = /^(?=\p{Lm})\p{scx=Latin}$/u;
const _INHERITED_MARK = /^(?=\p{M})\p{sc=Inherited}$/u;
const _COMMON_OK = /^[0-9_]$/;
const _ASCII = /^[\x21-\x7e]*$/;
// With the u flag only a surrogate that is not half of a pair matches.
const _LONE_SURROGATE = /\p{Cs}/u;

let _prototypes: Map<string, string> | undefined;
function _prototype(cp: string): string {
  // Built at first use: 6 311 entries that a process which never sees a handle need not hold.
  _prototypes ??= new Map(Object.entries(_CONFUSABLES as Record<string, string>));
  return _prototypes.get(cp) ?? cp;
}

/** The UTS #39 skeleton of `s` (no rules checked): equal skeletons mean confusable strings. */
export function skeleton(s: string): string {
  let out = '';
  for (const cp of s.normalize('NFD')) out += _prototype(cp);
  return out.normalize('NFD');
}

// Full case folding from the engine's case mappings: lower, upper, lower takes ß and ẞ to ss, ﬃ to
// ffi; toLowerCase writes a word-final sigma as ς, which folding makes σ.
function _fold(s: string): string {
  return s.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().replaceAll('ς', 'σ').normalize('NFKC');
}

function _refuse(code: 'FORBIDDEN_CHARACTER' | 'BAD_FORM' | 'MIXED_SCRIPTS' | 'CONFUSABLE', message: string): DirectoryError {
  return new DirectoryError(code, 'handle', message);
}

function _show(cp: string): string {
  return `U+${cp.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Scripts (augmented) of one code point among the recommended ones; empty when none. */
function _scriptsOf(cp: string): Set<string> {
  const out = new Set<string>();
  for (const [name, re] of _SCRIPT_RES) {
    if (!re.test(cp)) continue;
    out.add(name);
    for (const a of _AUGMENT[name] ?? []) out.add(a);
  }
  return out;
}

function _intersect(acc: Set<string> | undefined, s: Set<string>): Set<string> {
  if (acc === undefined) return new Set(s);
  for (const x of acc) if (!s.has(x)) acc.delete(x);
  return acc;
}

// Stacks of generic marks are how unreadable handles ("Zalgo") and look-alikes (é with a second
// acute) are made; counted on the decomposed form, where é is e and a mark.
function _marks(handle: string): void {
  let run = 0;
  let prev = '';
  for (const cp of handle.normalize('NFD')) {
    if (!_INHERITED_MARK.test(cp)) {
      run = 0;
      prev = cp;
      continue;
    }
    if (prev === '' || ++run > 2 || cp === prev) {
      throw _refuse('BAD_FORM', `"handle" has a combining mark ${_show(cp)} without a base, repeated, or more than 2 in a row`);
    }
    prev = cp;
  }
}

/**
 * The normal form and skeleton of a handle, or a `DirectoryError` naming the rule it breaks
 * (`HANDLE_TOO_SHORT`, `HANDLE_TOO_LONG`, `FORBIDDEN_CHARACTER`, `BAD_FORM`, `MIXED_SCRIPTS`,
 * `CONFUSABLE`). Throws `TypeError` when `input` is not a string.
 */
export function normalizeHandle(input: string): NormalizedHandle {
  if (typeof input !== 'string') throw new TypeError(`"handle" expected string, got ${_typeName(input)}`);
  if (input.length > _MAX_INPUT) {
    throw new DirectoryError('HANDLE_TOO_LONG', 'handle', `"handle" expected at most ${HANDLE_MAX_LENGTH} characters, got ${input.length} UTF-16 units`);
  }
  const raw = input.startsWith('@') ? input.slice(1) : input;
  if (_LONE_SURROGATE.test(raw)) throw _refuse('FORBIDDEN_CHARACTER', '"handle" holds a lone surrogate');
  const handle = _fold(raw);
  const cps = [...handle];
  if (cps.length < HANDLE_MIN_LENGTH) {
    throw new DirectoryError('HANDLE_TOO_SHORT', 'handle', `"handle" expected at least ${HANDLE_MIN_LENGTH} characters, got ${cps.length}`);
  }
  if (cps.length > HANDLE_MAX_LENGTH) {
    throw new DirectoryError('HANDLE_TOO_LONG', 'handle', `"handle" expected at most ${HANDLE_MAX_LENGTH} characters, got ${cps.length}`);
  }

  let all: Set<string> | undefined; // resolved scripts of every letter
  let nonLatin: Set<string> | undefined; // resolved scripts of the letters that are not Latin
  for (const cp of cps) {
    if (!_ALLOWED.test(cp) || _IGNORABLE.test(cp) || _LATIN_MODIFIER.test(cp)) {
      throw _refuse('FORBIDDEN_CHARACTER', `"handle" may not hold ${_show(cp)} (letters, marks, digits and "_" only)`);
    }
    // A generic mark takes its base's script (checked in _marks).
    if (_INHERITED_MARK.test(cp)) continue;
    if (_COMMON_OK.test(cp)) continue;
    const scripts = _scriptsOf(cp);
    if (scripts.size === 0) {
      throw _refuse('FORBIDDEN_CHARACTER', `"handle" may not hold ${_show(cp)} (not of a script recommended for identifiers)`);
    }
    all = _intersect(all, scripts);
    if (!scripts.has('Latin')) nonLatin = _intersect(nonLatin, scripts);
  }

  _marks(handle);
  if (!_LETTER.test(cps[0]!)) throw _refuse('BAD_FORM', '"handle" must start with a letter');
  if (cps[cps.length - 1] === '_' || handle.includes('__')) {
    throw _refuse('BAD_FORM', '"handle" may not end with "_" or hold "__"');
  }
  const single = all !== undefined && all.size > 0;
  const latinWithCjk = nonLatin !== undefined && _CJK.some((s) => nonLatin.has(s));
  if (!single && !latinWithCjk) throw _refuse('MIXED_SCRIPTS', '"handle" mixes letters of more than one script');

  const skel = skeleton(handle);
  if (!all?.has('Latin') && _ASCII.test(skel)) {
    throw _refuse('CONFUSABLE', '"handle" has no Latin letter but looks like a Latin handle');
  }
  return { handle, skeleton: skel };
}
