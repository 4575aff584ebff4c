import { z } from "zod";
import { baseMetadataSchema } from "../common/metadata";
import { AUDIO_CLASSES } from "./model";

/** metadata.json of models/audio: the input contract the encoder checks at load time. */
export const audioMetadataSchema = baseMetadataSchema.extend({
  kind: z.literal("audio"),
  classes: z.array(z.string()).refine((c) => c.join() === AUDIO_CLASSES.join(), { message: `expected classes ${AUDIO_CLASSES.join(",")}` }),
  input: z.object({
    sampleRate: z.number().positive(),
    channels: z.literal(2),
    classifierMs: z.number().positive(),
    bearingMs: z.number().positive(),
    frames: z.number().int().positive(),
    mels: z.number().int().positive(),
    logMel: z.object({
      sampleRate: z.number(),
      fftSize: z.number().int(),
      hopLength: z.number().int(),
      numMels: z.number().int(),
      fMinHz: z.number(),
      fMaxHz: z.number(),
      melScale: z.enum(["htk", "slaney"]),
      logFloor: z.number(),
    }),
    micSpacingM: z.number().positive(),
    speedOfSoundMps: z.number().positive(),
    normalization: z.string(),
  }),
  /** p(siren) at or above which a siren hazard is reported (chosen on validation drives). */
  sirenThreshold: z.number().min(0).max(1),
  hornThreshold: z.number().min(0).max(1),
});

export type AudioModelMetadata = z.infer<typeof audioMetadataSchema>;
