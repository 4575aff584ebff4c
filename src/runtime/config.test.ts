import { runtimeConfigSchema } from "./config";

test("backend defaults to auto and accepts the four choices", () => {
  expect(runtimeConfigSchema.parse({})).toEqual({ backend: "auto" });
  for (const b of ["auto", "tensorflow", "wasm", "cpu"]) expect(runtimeConfigSchema.parse({ backend: b }).backend).toBe(b);
});

test("an unknown backend is refused with the allowed values", () => {
  const r = runtimeConfigSchema.safeParse({ backend: "webgpu" });
  expect(r.success).toBe(false);
  expect(r.error?.issues[0]?.path).toEqual(["backend"]);
  expect(r.error?.issues[0]?.message).toMatch(/auto.*tensorflow.*wasm.*cpu/);
});
