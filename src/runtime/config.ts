import { z } from "zod";
import { BACKEND_CHOICES, type BackendChoice } from "./selectBackend";

/**
 * Runtime section of the config, for src/config's loadConfig to embed. The `--backend` flag
 * overrides `backend`; both go through the same validation (parseBackendChoice for the flag).
 */
export const runtimeConfigSchema = z.object({
  backend: z
    .enum(BACKEND_CHOICES as [BackendChoice, ...BackendChoice[]])
    .default("auto")
    .describe("tfjs backend: auto (tensorflow → wasm → cpu, first that loads) or one of them; no unit"),
});

export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;
