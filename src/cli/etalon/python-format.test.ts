import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  csvCell,
  jsonDict,
  jsonFloat,
  jsonInt,
  jsonList,
  jsonString,
  pyFixed5,
  pyFloatRepr,
} from './python-format.ts';

// Expected strings were printed by CPython 3 (`repr(x)`, `'%.5f' % x`, `json.dumps`).

describe('pyFloatRepr', () => {
  it.each([
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [1e10, '10000000000.0'],
    [-0, '-0.0'],
    [0, '0.0'],
    [1.5e-7, '1.5e-07'],
    [0.0001, '0.0001'],
    [123456789012345680, '1.2345678901234568e+17'],
    [2.5e22, '2.5e+22'],
    [1 / 3, '0.3333333333333333'],
    [0.1 * 3, '0.30000000000000004'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [100, '100.0'],
    [-2.5, '-2.5'],
    [0.01, '0.01'],
    [12345.678, '12345.678'],
    [Number.NaN, 'nan'],
    [Number.NEGATIVE_INFINITY, '-inf'],
  ])('repr(%s) is %s', (x, expected) => {
    expect(pyFloatRepr(x)).toBe(expected);
  });

  it('round-trips and has the shape of a Python float for any finite double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = pyFloatRepr(x);
        expect(Number(s)).toBe(x);
        expect(s).toMatch(/^-?(\d+\.\d+|\d(\.\d+)?e[+-]\d{2,3})$/);
      }),
    );
  });
});

describe('pyFixed5', () => {
  it.each([
    [0.015625, '0.01562'], // exact tie: half to even, where toFixed gives 0.01563
    [0.046875, '0.04688'],
    [100.015625, '100.01562'],
    [-0.015625, '-0.01562'],
    [1e21, '1000000000000000000000.00000'],
    [-0.000001, '-0.00000'],
    [1 / 3, '0.33333'],
    [2.5, '2.50000'],
    [0.000005, '0.00001'], // the double lies above the tie
    [123.456785, '123.45678'], // and this one below
    [0, '0.00000'],
    [1e-20, '0.00000'],
    [4.5e15 + 0.5, '4500000000000000.50000'],
  ])("'%%.5f' %% %s is %s", (x, expected) => {
    expect(pyFixed5(x)).toBe(expected);
  });
});

describe('JSON and CSV pieces', () => {
  it('prints like json.dump with ensure_ascii', () => {
    expect(
      jsonDict([['b\u007f\u00e9', jsonList(['1', jsonFloat(0.5, 'x'), jsonList([jsonFloat(0, 'y')])])]]),
    ).toBe('{"b\\u007f\\u00e9": [1, 0.5, [0.0]]}');
    expect(jsonString('a"b')).toBe('"a\\"b"');
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => jsonFloat(Number.NaN, 'throughput.fluid')).toThrow(/throughput\.fluid = NaN/);
    expect(() => jsonFloat(Number.POSITIVE_INFINITY, 'x')).toThrow(/Infinity/);
    expect(() => jsonInt(1.5, 'requests[0].prompt_tokens')).toThrow(/requests\[0\]\.prompt_tokens/);
  });

  it('quotes CSV cells like the csv module', () => {
    expect(csvCell('Time to First Token')).toBe('Time to First Token');
    expect(csvCell('a, b')).toBe('"a, b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });
});
