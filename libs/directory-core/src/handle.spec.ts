import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DirectoryError, type DirectoryErrorCode } from './errors.js';
import { HANDLE_MAX_LENGTH, HANDLE_MIN_LENGTH, normalizeHandle, skeleton } from './handle.js';

// What users type, and the normal form it is registered and shown under.
const ACCEPTED: readonly (readonly [string, string])[] = [
  ['alice', 'alice'],
  ['@Alice', 'alice'], // one leading "@" is the handle's sigil, not part of it
  ['ALICE', 'alice'],
  ['Straße', 'strasse'], // full case folding, not just lower case
  ['ｆｕｌｌ', 'full'], // NFKC: fullwidth forms
  ['ﬀoo', 'ffoo'], // NFKC: ligatures
  ['Ǆemal', 'džemal'], // NFKC then fold: U+01C4 → d ž
  ['ΣΟΦΟΣ', 'σοφοσ'], // final sigma folds to σ
  ['STRAẞE', 'strasse'], // capital sharp s too
  ['abcʰd', 'abchd'], // NFKC: modifier h is h
  ['việt', 'việt'], // two marks on one letter
  ['e\u0301toile', 'étoile'], // composed by NFKC
  ['bob_smith', 'bob_smith'],
  ['bob1', 'bob1'],
  ['пётр', 'пётр'],
  ['ελληνικά', 'ελληνικά'],
  ['नमस्ते', 'नमस्ते'],
  ['東京タワー', '東京タワー'], // Han + Katakana (+ ー, Common with Hiragana/Katakana extensions): Japanese
  ['tokyo東京', 'tokyo東京'], // Latin + Han: highly restrictive allows it
  ['서울abc', '서울abc'], // Latin + Hangul
  ['a'.repeat(HANDLE_MAX_LENGTH), 'a'.repeat(HANDLE_MAX_LENGTH)],
  ['abc', 'abc'],
];

// What is refused, and the rule named.
const REFUSED: readonly (readonly [string, DirectoryErrorCode, string])[] = [
  ['al', 'HANDLE_TOO_SHORT', 'fewer than 3 code points'],
  ['@ab', 'HANDLE_TOO_SHORT', 'the sigil does not count'],
  ['', 'HANDLE_TOO_SHORT', 'empty'],
  ['a'.repeat(HANDLE_MAX_LENGTH + 1), 'HANDLE_TOO_LONG', '33 code points'],
  ['a'.repeat(1000), 'HANDLE_TOO_LONG', 'refused before normalising'],
  ['bob smith', 'FORBIDDEN_CHARACTER', 'space'],
  ['bob.smith', 'FORBIDDEN_CHARACTER', 'punctuation'],
  ['bob-smith', 'FORBIDDEN_CHARACTER', 'hyphen'],
  ['bob@host', 'FORBIDDEN_CHARACTER', 'a second @'],
  ['hello🙂', 'FORBIDDEN_CHARACTER', 'emoji'],
  ['alice\u200d', 'FORBIDDEN_CHARACTER', 'zero-width joiner (invisible)'],
  ['ali\u00adce', 'FORBIDDEN_CHARACTER', 'soft hyphen (invisible)'],
  ['ali\u200bce', 'FORBIDDEN_CHARACTER', 'zero-width space'],
  ['ali\u202ece', 'FORBIDDEN_CHARACTER', 'bidi override'],
  ['x\u0000yz', 'FORBIDDEN_CHARACTER', 'control'],
  ['\ud800abc', 'FORBIDDEN_CHARACTER', 'lone surrogate'],
  ['ꓮbcd', 'FORBIDDEN_CHARACTER', 'Lisu: not a recommended script'],
  ['abcʼd', 'FORBIDDEN_CHARACTER', 'modifier letter apostrophe'],
  ['_bob', 'BAD_FORM', 'starts with _'],
  ['1bob', 'BAD_FORM', 'starts with a digit'],
  ['bob_', 'BAD_FORM', 'ends with _'],
  ['bob__smith', 'BAD_FORM', 'doubled _'],
  ['\u0301abc', 'BAD_FORM', 'a mark without a base'],
  ['x\u0300\u0301\u0302bc', 'BAD_FORM', 'three stacked marks'],
  ['x\u0308\u0308bc', 'BAD_FORM', 'the same mark twice'],
  ['e\u0301\u0301tude', 'BAD_FORM', 'é with a second acute'],
  ['pаypal', 'MIXED_SCRIPTS', 'Latin with a Cyrillic а'],
  ['cафе', 'MIXED_SCRIPTS', 'Cyrillic with a Latin c'],
  ['αbc', 'MIXED_SCRIPTS', 'Greek with Latin'],
  ['пётрσ', 'MIXED_SCRIPTS', 'Cyrillic with Greek'],
  ['한국東京タ', 'MIXED_SCRIPTS', 'Korean with Japanese'],
  ['раура', 'CONFUSABLE', 'all Cyrillic, looks like "paypa"'],
  ['сах', 'CONFUSABLE', 'all Cyrillic, looks like "cax"'],
  ['ορα', 'CONFUSABLE', 'all Greek, looks like "opa"'],
];

describe(normalizeHandle.name, () => {
  it(`bounds are ${HANDLE_MIN_LENGTH}..${HANDLE_MAX_LENGTH} code points`, () => {
    assert.equal(HANDLE_MIN_LENGTH, 3);
    assert.equal(HANDLE_MAX_LENGTH, 32);
  });

  for (const [input, normal] of ACCEPTED) {
    it(`accepts ${JSON.stringify(input)} as ${JSON.stringify(normal)}`, () => {
      const sut = normalizeHandle(input);
      assert.equal(sut.handle, normal);
      assert.equal(sut.skeleton, skeleton(normal));
      // The normal form is a fixed point: registering what is shown gives the same entry.
      assert.equal(normalizeHandle(sut.handle).handle, normal);
    });
  }

  for (const [input, code, why] of REFUSED) {
    it(`refuses ${JSON.stringify(input)} with ${code} (${why})`, () => {
      assert.throws(() => normalizeHandle(input), (e: unknown) => {
        assert.ok(e instanceof DirectoryError, `expected a DirectoryError, got ${String(e)}`);
        assert.equal(e.code, code, e.message);
        assert.equal(e.field, 'handle');
        return true;
      });
    });
  }

  it('throws TypeError for a non-string (a caller bug, not user input)', () => {
    assert.throws(() => normalizeHandle(42 as unknown as string), { name: 'TypeError', message: '"handle" expected string, got number' });
  });
});

describe(skeleton.name, () => {
  // Look-alikes that pass every rule share a skeleton, hence an entry: one cannot be registered
  // beside the other, and looking one up finds the other.
  const SAME: readonly (readonly [string, string])[] = [
    ['modern', 'rnodern'], // m ~ rn
    ['paypal', 'paypa1'], // l ~ 1
    ['bobl', 'bob1'],
  ];
  for (const [a, b] of SAME) {
    it(`is the same for ${JSON.stringify(a)} and ${JSON.stringify(b)}, which both pass the rules`, () => {
      assert.equal(normalizeHandle(a).skeleton, normalizeHandle(b).skeleton);
    });
  }

  it('comes from Unicode\'s confusables data: Cyrillic, Greek and Latin look-alikes meet', () => {
    assert.equal(skeleton('раура'), skeleton('paypa'));
    assert.equal(skeleton('ορα'), skeleton('opa'));
    assert.equal(skeleton('\u0430'), 'a'); // CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A
    assert.equal(skeleton('\u13aa'), 'A'); // CHEROKEE LETTER GO → LATIN CAPITAL LETTER A
  });

  it('differs for handles that do not look alike', () => {
    assert.notEqual(skeleton('alice'), skeleton('alicf'));
    assert.notEqual(skeleton('пётр'), skeleton('петр'));
  });
});
