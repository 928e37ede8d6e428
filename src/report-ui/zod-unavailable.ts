// Stands in for `zod` in the browser bundle (scripts/build-report-ui.ts aliases it): the core
// modules the report code imports declare schemas at load time, but the browser never validates
// with them (the data was checked before it was stored). Declaring a schema returns this chainable
// stand-in; parsing with it is a bug and throws. Without it zod would be 450 KB of the 560 KB script.
const unavailable = (): never => {
  throw new Error('zod is not bundled in the report UI: validate before building report data');
};
const PARSERS = new Set(['parse', 'safeParse', 'parseAsync', 'safeParseAsync', 'decode', 'encode']);
const stand: object = new Proxy(() => stand, {
  get: (_target, key) => (typeof key === 'string' && PARSERS.has(key) ? unavailable : stand),
  apply: () => stand,
});
export const z = stand;
