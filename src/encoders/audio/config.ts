import { z } from "zod";

const vec3 = z.object({ x: z.number(), y: z.number(), z: z.number() });
const quat = z.object({ x: z.number(), y: z.number(), z: z.number(), w: z.number() });

/** Audio encoder options (units in the descriptions); validated once at load. */
export const audioEncoderConfigSchema = z.object({
  modelDir: z.string().default("models/audio").describe("directory holding model.json, weights.bin, metadata.json"),
  extrinsics: z
    .object({ translation: vec3, rotation: quat })
    .default({ translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } })
    .describe("ego ← microphone-array transform (m, unit quaternion); only its yaw turns bearings into the ego frame"),
  micSpacingM: z.number().positive().optional().describe("distance between the two microphones (m); default from the model metadata"),
  sirenThreshold: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe("p(siren) at which a siren hazard is reported; default from the model metadata"),
  hornThreshold: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe("p(horn) at which a horn hazard is reported; default from the model metadata"),
});

export type AudioEncoderConfig = z.infer<typeof audioEncoderConfigSchema>;
export type AudioEncoderConfigInput = z.input<typeof audioEncoderConfigSchema>;
