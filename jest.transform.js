// Jest transform: @swc/jest, plus a fix for slow global lookups.
//
// Jest runs every test file and the modules it loads inside a vm context, where each lookup of
// a global (Math, Number, Float32Array, Infinity, ...) goes through the context's interceptors:
// ~130 ns instead of ~1 ns. Numeric code (the simulator's ray caster, DSP, point unpacking) then
// runs 20-50x slower under Jest than in plain node. Binding those globals once per module, as
// module-scoped variables, restores normal speed. The bindings go on the file's first line so
// line numbers in stack traces stay right; a file that declares one of the names itself keeps it.
const { createTransformer } = require("@swc/jest");

// Only names that swc's CommonJS prologue (hoisted above these bindings) never uses: Object,
// Array, Symbol, WeakMap... stay ordinary globals.
const GLOBALS = [
  "Math",
  "Number",
  "Infinity",
  "NaN",
  "isFinite",
  "isNaN",
  "BigInt",
  "DataView",
  "ArrayBuffer",
  "Float32Array",
  "Float64Array",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
];

const swc = createTransformer({ jsc: { target: "es2022" } });

function declares(source, name) {
  return new RegExp(`\\b(?:const|let|var|class|function|as)\\s+${name}\\b|[{,]\\s*${name}\\s*[,}]`).test(source);
}

function withGlobalBindings(source) {
  const names = GLOBALS.filter((name) => !declares(source, name));
  const prelude = `var ${names.map((n) => `${n} = globalThis.${n}`).join(", ")};`;
  return prelude + source;
}

module.exports = {
  process(source, filename, options) {
    return swc.process(withGlobalBindings(source), filename, options);
  },
  getCacheKey(source, filename, options) {
    return `${swc.getCacheKey(source, filename, options)}:globals:${GLOBALS.join(",")}`;
  },
};
