import { z } from "zod";
import { BadInputError } from "../types/errors";

/**
 * Field builders shared by the stages' config schemas, so every duration reads and fails the same
 * way. Messages leave out the field's name: the error's `where` names it.
 */
export const msField = (min: number, max: number) =>
  z
    .number({ error: "expected a number of milliseconds" })
    .finite({ error: "expected a finite number of milliseconds" })
    .min(min, { error: `must be ≥ ${min} ms` })
    .max(max, { error: `must be ≤ ${max} ms` });

/**
 * Validates `value` against a config schema; the first issue becomes one BadInputError (code
 * `config`) at `<prefix>: <field path>`.
 */
export function parseConfigValue<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  throw new BadInputError({ where: `${prefix}: ${path}`, what: issue.message, code: "config" });
}
