import fc from 'fast-check';

// Adversarial JSON bodies for the API property tests (hostile-config.test.ts, hostile-campaigns.test.ts):
// a valid base body is mutated at random paths with hostile numbers (written as raw JSON tokens where
// JSON.stringify cannot write them), deep nesting, long and ill-formed strings, wrong types, unknown
// keys and missing keys; `toJsonText` writes the result.

/** A value written into the JSON text as is, for what JSON.stringify cannot write (1e999, NaN, -0). */
export class RawToken {
  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }
}

/** A value nested `levels` deep, as raw text (built as text: neither fast-check nor JSON recurses into it). */
function nestedText(levels: number, array: boolean): RawToken {
  return new RawToken(
    array ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"k":'.repeat(levels)}1${'}'.repeat(levels)}`,
  );
}

const hostileNumber = fc.oneof(
  fc.constantFrom(2 ** 53 - 1, 1e7, 1e9, 3_000_000, 1e6 + 1, 100_001),
  fc.constantFrom(0, -0, -1, 1, 0.5, 1.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1e300),
  fc.constantFrom(5e-324, Number.MAX_VALUE, Number.EPSILON, 1e-300, 4294967296.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom('1e999', '-1e999', '-0', '1E400', '0.0000000000000000000001').map((t) => new RawToken(t)),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '0x10', '01', '+1').map((t) => new RawToken(t)),
  fc.constantFrom('NaN', 'Infinity', '1e999', '5', '', ' 1'),
);

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\uD800', '\uDFFF', 'a\uD83D', '\u202Eevil\u202C', '\u0000', 'a\r\nb: c', '', ' '),
  fc.constantFrom('👩‍👩‍👧‍👦'.repeat(200), 'ﷺ'.repeat(1_000), '\u05D0\u05D1'.repeat(500)),
  fc.constantFrom(10_000, 300_000, 2_100_000).map((n) => 'x'.repeat(n)),
  fc.constantFrom('http://127.0.0.1:9/v1?api_key=1', 'javascript:alert(1)', 'http://[::1', 'OPENAI_API_KEY'),
);

const wrongType = fc.oneof(
  fc.constantFrom(null, true, false, [], {}, [1, 'a'], { a: 1 }, [[[]]]),
  fc
    .tuple(fc.constantFrom(5, 30, 45, 200, 3_000, 50_000), fc.boolean())
    .map(([levels, array]) => nestedText(levels, array)),
  fc.array(fc.integer(), { minLength: 0, maxLength: 5 }),
);

const hostileValue = fc.oneof(
  { arbitrary: hostileNumber, weight: 5 },
  { arbitrary: hostileString, weight: 3 },
  { arbitrary: wrongType, weight: 3 },
);

type Path = (string | number)[];

/** Every path in a JSON value (objects and arrays, and leaves), the root excluded. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object' || value instanceof RawToken) return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  return node;
}

export type Mutation =
  | { kind: 'set'; pick: number; value: unknown }
  | { kind: 'delete'; pick: number }
  | { kind: 'add-key'; pick: number; key: string; value: unknown }
  | { kind: 'nest'; pick: number; levels: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: hostileValue }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('add-key' as const),
      pick: fc.nat(),
      key: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.constantFrom('__proto__', 'constructor'),
      ),
      value: hostileValue,
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('nest' as const),
      pick: fc.nat(),
      levels: fc.constantFrom(1, 40, 3_000, 10_000),
    }),
    weight: 1,
  },
);

/**
 * A fresh copy of a generated value (RawToken kept: it is never changed). fast-check hands out the
 * same instance of a constant ({}, [1, 'a']) again: set in place as is, a later mutation would change
 * it for every case after, or put it inside itself (a cycle JSON cannot write).
 */
function fresh(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof RawToken) return value;
  if (Array.isArray(value)) return value.map(fresh);
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value))
    Object.defineProperty(copy, key, {
      value: fresh(child),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

/**
 * Applies a mutation in place; returns its kind and the path it hit, for the summary. A body with
 * nothing left in it (every key deleted) is left as it is.
 */
export function apply(config: Record<string, unknown>, m: Mutation): string {
  const paths = pathsOf(config);
  if (paths.length === 0) return `${m.kind} (empty body)`;
  const path = paths[m.pick % paths.length]!;
  const parent = parentOf(config, path);
  const key = path[path.length - 1]!;
  if (m.kind === 'set') parent[key] = fresh(m.value);
  else if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (m.kind === 'add-key') {
    const holder = parent[key];
    if (holder !== null && typeof holder === 'object' && !Array.isArray(holder))
      Object.defineProperty(holder, m.key, {
        value: fresh(m.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else
      parent[key] = Object.defineProperty({}, m.key, {
        value: fresh(m.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  } else
    parent[key] = new RawToken(
      `${'{"v":'.repeat(m.levels)}${toJsonText(parent[key] ?? null)}${'}'.repeat(m.levels)}`,
    );
  return `${m.kind} ${path.join('.')}`;
}

/** JSON text, with RawToken values written verbatim. */
export function toJsonText(config: unknown): string {
  const tokens: string[] = [];
  const text = JSON.stringify(config, (_key, value: unknown) => {
    if (!(value instanceof RawToken)) return value;
    tokens.push(value.token);
    return `\u0000raw${tokens.length - 1}\u0000`;
  });
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_, i: string) => tokens[Number(i)]!);
}
