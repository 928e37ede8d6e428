// Stands in for `protobufjs/minimal`, which @datadog/sketches-js requires lazily only for
// DDSketch.toProto/fromProto. fluidbench serialises summaries as JSON (QuantileSummary.toJSON),
// so the Worker bundle leaves protobuf out; a call that reaches it is a bug.
const unavailable = () => {
  throw new Error('protobuf serialisation of sketches is not bundled; use QuantileSummary.toJSON');
};

export const Reader = unavailable;
export const Writer = unavailable;
export const util = {};
export const roots = {};
export default { Reader, Writer, util, roots };
