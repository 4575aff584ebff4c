import { modelsDirOf, type ModelFiles } from "../runtime/modelFiles";
import { qualityCurveSchema, type QualityCurve } from "./sceneConfig";

/** The kinds whose encoders' quality falls with fog, and so can be read as visibility. */
export const VISIBILITY_KINDS = ["camera", "lidar"] as const;
export type VisibilityKind = (typeof VISIBILITY_KINDS)[number];

/**
 * The quality-versus-visibility curve a model's training measured (`heldOut.qualityByVisibility`
 * in its metadata.json: `[{visibilityM: number | "clear", quality}]`), made safe to invert:
 * measurement noise can make quality dip slightly as visibility rises (two nearly equal points
 * near clear air), so each point's quality is raised to the highest quality at any lower
 * visibility. Throws one line naming `where` when the metadata has no usable curve.
 */
export function qualityCurveFromMetadata(metadata: unknown, where = "metadata"): QualityCurve {
  const held = (metadata as { heldOut?: { qualityByVisibility?: unknown } } | null)?.heldOut?.qualityByVisibility;
  if (!Array.isArray(held))
    throw new RangeError(
      `${where}: expected heldOut.qualityByVisibility, a list of {visibilityM, quality}, got ${held === undefined ? "none" : typeof held}`,
    );
  const v = (p: { visibilityM: unknown }): number => (p.visibilityM === "clear" ? Infinity : Number(p.visibilityM));
  const sorted = [...(held as Array<{ visibilityM: unknown; quality: unknown }>)].sort((a, b) => v(a) - v(b));
  let floor = 0;
  const monotone = sorted.map((p) => {
    const q = typeof p.quality === "number" ? Math.max(floor, p.quality) : p.quality;
    if (typeof q === "number" && Number.isFinite(q)) floor = q;
    return { visibilityM: p.visibilityM, quality: q };
  });
  const parsed = qualityCurveSchema.safeParse(monotone);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RangeError(`${where}: heldOut.qualityByVisibility${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Reads the shipped models' curves (`<modelsDir>/<kind>/metadata.json`) for the scene config's
 * `visibility.fromQuality`. A kind whose model or curve is absent is left out, and `onMissing` is
 * told why (one line), so the estimate just has fewer inputs.
 */
export async function loadQualityCurves(
  files: ModelFiles,
  modelsDir?: string,
  onMissing?: (line: string) => void,
): Promise<Partial<Record<VisibilityKind, QualityCurve>>> {
  const out: Partial<Record<VisibilityKind, QualityCurve>> = {};
  for (const kind of VISIBILITY_KINDS) {
    const where = `${modelsDirOf(files, modelsDir)}/${kind}/metadata.json`;
    try {
      const text = new TextDecoder().decode(await files.read(where));
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new RangeError(`${where}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
      out[kind] = qualityCurveFromMetadata(json, where);
    } catch (err) {
      onMissing?.(`visibility from ${kind} quality is not estimated: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
