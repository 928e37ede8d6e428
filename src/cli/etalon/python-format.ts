// etalon writes its files from Python (`json.dump`, pandas `to_csv`, `'%.5f'`), so numbers must be
// printed the way CPython prints them for the exported directory to match etalon byte for byte.

/**
 * CPython's `repr(float)`: the shortest round-trip digits (the same digits JavaScript picks), in
 * fixed notation with at least one fractional digit when the decimal exponent is in [-5, 16),
 * otherwise `d.ddde±XX` with a two-digit minimum exponent (`1e-05`, `1e+16`).
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const [coefficient = '', exponentText = '0'] = String(Math.abs(x)).split('e');
  const [intPart = '', fracPart = ''] = coefficient.split('.');
  const all = intPart + fracPart;
  const leadingZeros = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(leadingZeros).replace(/0+$/, '');
  // Decimal exponent of the first significant digit: x = d.ddd × 10^exponent.
  const exponent = intPart.length + Number(exponentText) - leadingZeros - 1;
  if (exponent < -4 || exponent >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits.padEnd(exponent + 1, '0')}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/**
 * CPython's `'%.5f' % x`: correctly rounded, ties to even. `Number#toFixed` rounds exact ties
 * away from zero, which differs for values such as 0.015625 (a mean of 64 token counts can be one).
 */
export function pyFixed5(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const abs = Math.abs(x);
  // toFixed switches to exponent notation from 1e21; such doubles are integers.
  if (abs >= 1e21) return `${sign}${BigInt(abs).toString()}.00000`;
  const rounded = abs.toFixed(5);
  // toFixed(100) is the exact binary value for every |x| ≥ 2^-48; smaller values cannot tie here.
  const [intPart = '', fracPart = ''] = abs.toFixed(100).split('.');
  const isTie = /^50*$/.test(fracPart.slice(5));
  const truncatedLastDigit = Number(fracPart[4]);
  if (isTie && truncatedLastDigit % 2 === 0) return `${sign}${intPart}.${fracPart.slice(0, 5)}`;
  return `${sign}${rounded}`;
}

/** A JSON number from a float, as `json.dump` prints it; NaN/±Infinity are not JSON and throw. */
export function jsonFloat(x: number, label: string): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new Error(`cannot write ${label} = ${String(x)} to an etalon file: expected a finite number`);
  }
  return pyFloatRepr(x);
}

/** A JSON number from a Python int. */
export function jsonInt(x: number, label: string): string {
  if (!Number.isSafeInteger(x)) {
    throw new Error(`cannot write ${label} = ${String(x)} to an etalon file: expected an integer`);
  }
  return String(x);
}

/** A JSON string as `json.dump` (ensure_ascii) prints it: everything outside ' '..'~' escaped. */
export function jsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `json.dump` separators: `", "` between items, `": "` after keys, no indentation. */
export function jsonList(items: readonly string[]): string {
  return `[${items.join(', ')}]`;
}

export function jsonDict(entries: readonly (readonly [key: string, json: string])[]): string {
  return `{${entries.map(([key, json]) => `${jsonString(key)}: ${json}`).join(', ')}}`;
}

/** A CSV cell as Python's csv module writes it (QUOTE_MINIMAL); etalon's miss-rate name has commas. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
