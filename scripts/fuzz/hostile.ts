import fc from 'fast-check';

/**
 * Hostile values: what an attacker or a broken client sends. Sizes are chosen around the
 * service's limits (1 MB bodies, 256 levels of nesting, 128-character ids) rather than left to
 * fast-check's small default sizes.
 */

/** Keys that change objects in JavaScript when merged or assigned carelessly. */
export const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
] as const;

/** Strings that break parsers, encoders, logs and regular expressions. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(64),
  '\r\n',
  '\t\v\f',
  '\u202e\u202d',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\uffff',
  '𝕊𝕜𝕖𝕚𝕟',
  '👩‍👩‍👧‍👦',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  '%00',
  '%ZZ',
  '%',
  '%%',
  '%2e%2e%2f',
  '../../etc/passwd',
  '..',
  '.',
  '/',
  '\\',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the attack
  '${jndi:ldap://x}',
  '{{7*7}}',
  '{% $process %}',
  '{% $eval("1") %}',
  "'; DROP TABLE runs; --",
  '<script>alert(1)</script>',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e309',
  '0x10',
  'true',
  '[]',
  '{}',
  'latest',
  'T#other',
  'R#x#N#y',
  'KEY#x',
  ...POLLUTION_KEYS,
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  { arbitrary: longString(), weight: 1 },
);

/** A string of a size near one of the limits (ids 80/128, labels, 4 KB, 256 KB, 1 MB). */
export function longString(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(79, 80, 81, 127, 128, 129, 257, 2_001, 4_097, 70_000, 262_145, 1_048_577),
      fc.constantFrom('a', '9', '-', 'é', '😀', '\u0000', '%'),
    )
    .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));
}

/** A number that is wrong somewhere: huge, tiny, negative, fractional, non-finite as text. */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 0.5, 1e-300, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, 31, 101, 1001),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Any JSON value, keys included from the hostile set. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...POLLUTION_KEYS), nastyString), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** JSON text nested `depth` levels deep, in one of several shapes. */
export function deepJson(depth: number, shape: 'array' | 'object' | 'mixed'): string {
  if (shape === 'array') return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  if (shape === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 === 0 ? '{"k":' : '[';
    close = (i % 2 === 0 ? '}' : ']') + close;
  }
  return `${open}0${close}`;
}

/** YAML nested `depth` levels by indentation, flow collections or both. */
export function deepYaml(depth: number, style: 'block' | 'flow'): string {
  if (style === 'flow') return `nodes: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
  let text = '';
  for (let i = 0; i < depth; i++) text += `${'  '.repeat(i)}k${i}:\n`;
  return `${text}${'  '.repeat(depth)}x: 1\n`;
}

/** "Billion laughs": each level refers to the one below `fanout` times. */
export function yamlBomb(levels: number, fanout: number, under: 'root' | 'with'): string {
  const lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < levels; i++) {
    lines.push(`l${i}: &l${i} [${Array.from({ length: fanout }, () => `*l${i - 1}`).join(', ')}]`);
  }
  const top = `*l${levels - 1}`;
  if (under === 'with') lines.push(`nodes: { a: { type: noop, with: { v: ${top} } } }`);
  else lines.push(`inputs: { v: ${top} }`);
  return `${lines.join('\n')}\n`;
}

/** An alias used as a key, merge keys and recursive anchors: YAML features that surprise loaders. */
export const YAML_ODDITIES = [
  'a: &a { b: *a }\n',
  'inputs: &i { toString: [1], valueOf: {}, self: *i }\n',
  'nodes: &n { a: { type: noop, with: *n } }\n',
  'nodes: { a: { type: { toString: [1], valueOf: [2] } } }\n',
  'nodes: { a: &t { type: noop, with: { x: *t } } }\n',
  '<<: { nodes: { a: { type: noop } } }\nnodes: { b: { type: noop } }\n',
  'base: &b { type: noop }\nnodes: { a: { <<: *b }, b: { <<: *b, needs: [a] } }\n',
  '? [a, b]\n: 1\nnodes: { a: { type: noop } }\n',
  '!!python/object/apply:os.system ["echo hi"]\n',
  'nodes: !!binary aGVsbG8=\n',
  'nodes: { a: { type: !!str noop, timeout: !!float .inf } }\n',
  '%YAML 1.1\n---\nnodes: { a: { type: noop } }\n',
  '--- \nnodes: { a: { type: noop } }\n---\nnodes: { b: { type: noop } }\n',
  'nodes: { a: { type: noop } }\n...\ngarbage: [\n',
  'nodes:\n\ta: { type: noop }\n',
  'nodes: { "\\u0000": { type: noop } }\n',
  'nodes: { a: { type: noop, with: { v: 0x7fffffffffffffffffff } } }\n',
  'nodes: { a: { type: noop, timeout: 1e999 } }\n',
  `nodes: { a: { type: noop, description: "${'\\u00e9'.repeat(3000)}" } }\n`,
];

/** Bodies that are not what their Content-Type claims, or not a document at all. */
export const GARBAGE_BODIES = [
  '{',
  '}',
  '[',
  '{"a":1,}',
  '{"a":1}{"b":2}',
  "{'a':1}",
  '{"a":01}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":"\\ud800"}',
  '{"a":"\\x41"}',
  '\ufeff{}',
  '\u0000',
  'null',
  'true',
  '0',
  '"text"',
  '[]',
  '[1,2,3]',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":1,"a":2}',
  '<?xml version="1.0"?><a/>',
  'a=1&b=2',
  '--boundary\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--boundary--',
  '\x1f\x8b\x08\x00\x00\x00\x00\x00',
  '- a\n- b\n',
  'key: [unclosed\n',
  ': : :\n',
  '   ',
];
