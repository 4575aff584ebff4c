import { z } from "zod";
import { OBJECT_CLASSES, type ObjectClass } from "../../../types";
import { installedPackageFile } from "../../../runtime/installedPackageFile";
import { modelFileError } from "../../../runtime/modelFiles";

/*
 * A model card for a camera detector brought as a tfjs graph model, with no code change: what the
 * files are, how its input is fed, how its output is read and what its classes are in ours.
 * `models/camera-coco/card.json` is the shipped one (the COCO detector of @vladmandic/human); a
 * user's folder with a card.json, named by `--model camera=DIR` or the config's `models.camera`,
 * is loaded the same way.
 */

const classOf = z.enum(OBJECT_CLASSES as [ObjectClass, ...ObjectClass[]]);

export const detectorCardSchema = z
  .object({
    kind: z.literal("camera-detector"),
    name: z.string().min(1),
    format: z.literal("tfjs-graph-model"),
    /** The model files: relative to the card's folder, or inside an installed npm package. */
    files: z.object({ package: z.string().min(1).optional(), model: z.string().min(1), weights: z.string().min(1) }).strict(),
    input: z
      .object({
        width: z.number().int().positive().max(4096),
        height: z.number().int().positive().max(4096),
        channels: z.literal("rgb"),
        /** Pixel values fed: [0, 255] or [0, 1]. */
        range: z.tuple([z.literal(0), z.union([z.literal(1), z.literal(255)])]),
        /** `near-square`: wide images cut into overlapping tiles of about their height; `whole`: one stretched image. */
        tiles: z.enum(["near-square", "whole"]).default("near-square"),
      })
      .strict(),
    output: z
      .object({
        tensor: z.string().min(1),
        /** [x1, y1, x2, y2, score, class] per row, in input pixels. */
        decoding: z.literal("boxes-xyxy-score-class"),
        maxBoxes: z.number().int().positive().max(10_000),
      })
      .strict(),
    /** The model's class ids (as strings) that are ours; the others are ignored. */
    classes: z.record(z.string().regex(/^\d+$/), classOf),
    minScore: z.number().min(0).max(1).default(0.2),
    trainedOn: z.string().min(1),
    license: z.string().min(1),
    measured: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type DetectorCard = z.infer<typeof detectorCardSchema>;

/** A card's text, checked: one line naming the card file and the field. */
export function parseDetectorCard(text: string, where: string): DetectorCard {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw modelFileError(where, `not JSON (${(err as Error).message.split("\n")[0]})`, "a camera detector card");
  }
  const r = detectorCardSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw modelFileError(`${where}: ${issue.path.join(".") || "(card)"}`, issue.message);
  }
  return r.data;
}

/** Where a card's model and weights are: in its installed package, else beside the card. */
export function cardFiles(card: DetectorCard, cardDir: string, where: string): { model: string; weights: string } {
  if (card.files.package === undefined) return { model: `${cardDir}/${card.files.model}`, weights: `${cardDir}/${card.files.weights}` };
  const model = installedPackageFile(card.files.package, card.files.model);
  const weights = installedPackageFile(card.files.package, card.files.weights);
  if (!model || !weights)
    throw modelFileError(
      `${where}: files`,
      `${card.files.package}/${card.files.model} is not installed`,
      `npm install ${card.files.package}`,
    );
  return { model, weights };
}
