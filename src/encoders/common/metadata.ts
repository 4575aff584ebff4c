import { z } from "zod";
import { modelFileError } from "../../runtime/modelFiles";

/** Fields every shipped model's metadata.json has; each kind adds its own `input` contract. */
export const baseMetadataSchema = z.looseObject({
  kind: z.string(),
  modelVersion: z.string().min(1),
  classes: z.array(z.string()).min(1),
  date: z.string(),
  command: z.string(),
});

/** Validates metadata.json against a kind's schema; one-line model file error naming the field. */
export function parseMetadata<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw modelFileError(`model metadata ${where}`, `${path}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}
