import type { Parameter, ParameterValue } from "@foxglove/ws-protocol";
import { BadInputError, errorText } from "../../types/errors";

export type { Parameter, ParameterValue } from "@foxglove/ws-protocol";

/** One parameter a Foxglove WebSocket server offers (`parameters` capability). */
export type ParameterSpec = {
  name: string;
  value: ParameterValue;
  /** Sent with the value: `float64` keeps a whole number (a rate of 1) a double for ROS-typed clients. */
  type?: Parameter["type"];
  /**
   * Absent: read-only. Given: checks a client's new value and applies it, returning the value now
   * in force; a bad value throws a BadInputError, whose one line the client is told.
   */
  set?: (value: ParameterValue) => ParameterValue;
};

/** What a client's `setParameters` did: the parameters changed, and one line per refusal. */
export type SetOutcome = { changed: Parameter[]; refused: string[] };

/**
 * The parameters behind a server's `parameters` / `parametersSubscribe` capabilities: names with
 * values, each settable by clients only through its own check. A refused set (read-only, unknown,
 * a bad value) leaves the value as it was, as foxglove_bridge does: the client gets the current
 * value back and a status line saying why.
 */
export class ParameterStore {
  readonly #specs = new Map<string, ParameterSpec>();
  readonly #listeners = new Set<(changed: Parameter[]) => void>();

  /** Adds a parameter; a name given twice is a usage error. */
  define(spec: ParameterSpec): void {
    if (this.#specs.has(spec.name)) throw new BadInputError({ where: `parameter ${spec.name}`, what: "defined twice", code: "usage" });
    this.#specs.set(spec.name, { ...spec });
    this.#emit([this.#param(spec.name)!]);
  }

  has(name: string): boolean {
    return this.#specs.has(name);
  }

  settable(name: string): boolean {
    return this.#specs.get(name)?.set !== undefined;
  }

  value(name: string): ParameterValue {
    return this.#specs.get(name)?.value;
  }

  get names(): string[] {
    return [...this.#specs.keys()];
  }

  /** The named parameters that exist (all of them for an empty list, as the protocol says). */
  get(names: readonly string[] = []): Parameter[] {
    const wanted = names.length === 0 ? this.names : names;
    return wanted.map((n) => this.#param(n)).filter((p): p is Parameter => p !== undefined);
  }

  /** A change made by the server itself (state, counters): not checked, announced to subscribers. */
  update(name: string, value: ParameterValue): void {
    const spec = this.#specs.get(name);
    if (!spec) throw new BadInputError({ where: `parameter ${name}`, what: "not defined", code: "usage" });
    if (sameValue(spec.value, value)) return;
    spec.value = value;
    this.#emit([this.#param(name)!]);
  }

  /** A client's `setParameters`: each settable, valid value is applied; the others are refused, one line each. */
  setFromClient(parameters: readonly Parameter[]): SetOutcome {
    const changed: Parameter[] = [];
    const unannounced: Parameter[] = [];
    const refused: string[] = [];
    for (const p of parameters) {
      const spec = this.#specs.get(p.name);
      if (!spec) {
        refused.push(new BadInputError({ where: `parameter ${p.name}`, what: "no such parameter" }).message);
        continue;
      }
      if (!spec.set) {
        refused.push(new BadInputError({ where: `parameter ${p.name}`, what: "read-only" }).message);
        continue;
      }
      try {
        const before = spec.value;
        const next = spec.set(p.value);
        if (sameValue(before, next)) continue;
        // A setter that moved something the store follows (a clock) may have announced it already.
        const announced = sameValue(spec.value, next);
        spec.value = next;
        changed.push(this.#param(p.name)!);
        if (!announced) unannounced.push(this.#param(p.name)!);
      } catch (err) {
        refused.push(err instanceof BadInputError ? err.message : `parameter ${p.name}: ${errorText(err)}`);
      }
    }
    this.#emit(unannounced);
    return { changed, refused };
  }

  /** Called with every change (from `define`, `update` or a client); returns the unsubscribe. */
  onChange(listener: (changed: Parameter[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #param(name: string): Parameter | undefined {
    const spec = this.#specs.get(name);
    if (!spec) return undefined;
    return { name, value: spec.value, ...(spec.type ? { type: spec.type } : {}) };
  }

  #emit(changed: Parameter[]): void {
    if (changed.length === 0) return;
    for (const l of [...this.#listeners]) l(changed);
  }
}

function sameValue(a: ParameterValue, b: ParameterValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A client's value as a number within [min, max], else a one-line BadInputError naming the parameter. */
export function numberParameter(name: string, value: ParameterValue, min: number, max: number, expected?: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)
    throw new BadInputError({
      where: `parameter ${name}`,
      what: JSON.stringify(value) ?? "no value",
      expected: expected ?? `a number from ${min} to ${max}`,
    });
  return value;
}

/** A client's value as a boolean, else a one-line BadInputError naming the parameter. */
export function booleanParameter(name: string, value: ParameterValue): boolean {
  if (typeof value !== "boolean")
    throw new BadInputError({ where: `parameter ${name}`, what: JSON.stringify(value) ?? "no value", expected: "true or false" });
  return value;
}
