import { z } from "zod";

const vec3 = z.object({ x: z.number(), y: z.number(), z: z.number() });
const quat = z.object({ x: z.number(), y: z.number(), z: z.number(), w: z.number() });

/** Radar encoder options (units in the descriptions); validated once at load. */
export const radarEncoderConfigSchema = z.object({
  modelDir: z.string().default("models/radar").describe("directory holding model.json, weights.bin, metadata.json"),
  extrinsics: z
    .object({ translation: vec3, rotation: quat })
    .describe("ego ← radar transform (m, unit quaternion), from /tf or the rig config"),
  minScore: z
    .number()
    .min(0)
    .max(1)
    .default(0.2)
    .describe("tracks whose realness score (1 − p_clutter) is below this are dropped; no unit"),
  centreOffset: z
    .boolean()
    .default(true)
    .describe("move the track reference point (the near face) to the expected box centre along the line of sight"),
  maxBatch: z.number().int().min(1).max(4096).default(256).describe("tracks per inference batch"),
  fieldOfView: z
    .object({
      azimuthHalfWidthDeg: z.number().gt(0).max(180).describe("half the horizontal opening (deg), about the radar's +x"),
      maxRangeM: z.number().positive().describe("maximum detection range (m)"),
    })
    .optional()
    .describe("where the radar can see, reported in the evidence so fusion counts misses only there; absent = not reported"),
});

export type RadarEncoderConfig = z.infer<typeof radarEncoderConfigSchema>;
export type RadarEncoderConfigInput = z.input<typeof radarEncoderConfigSchema>;
