import { z } from "zod";
import { baseMetadataSchema } from "../common/metadata";
import { RADAR_CLASSES } from "./model";
import { RADAR_FEATURE_NAMES } from "./features";

/** metadata.json of models/radar: the input contract the encoder checks at load time. */
export const radarMetadataSchema = baseMetadataSchema.extend({
  kind: z.literal("radar"),
  classes: z.array(z.string()).refine((c) => c.join() === RADAR_CLASSES.join(), {
    message: `expected classes ${RADAR_CLASSES.join(",")}`,
  }),
  input: z.object({
    features: z.array(z.string()).refine((f) => f.join() === RADAR_FEATURE_NAMES.join(), {
      message: `expected the ${RADAR_FEATURE_NAMES.length} features of this encoder version (src/encoders/radar/features.ts)`,
    }),
    mean: z.array(z.number()).length(RADAR_FEATURE_NAMES.length),
    std: z.array(z.number().positive()).length(RADAR_FEATURE_NAMES.length),
    nearbyRadiusM: z.number().positive(),
    frame: z.string(),
  }),
});

export type RadarModelMetadata = z.infer<typeof radarMetadataSchema>;
