/**
 * Why sensors gave no evidence, counted. A broken camera fails on every frame with a reason that
 * names the frame's stamp, so reasons are grouped with their numbers masked: one line per sensor
 * and kind of failure, with the count and the first full reason.
 */
export class FailureTally {
  private readonly groups = new Map<string, { sensor: string; first: string; ticks: number }>();

  add(sensor: string, why: string): void {
    const key = `${sensor}\u0000${why.replace(/\d+(\.\d+)?/g, "#")}`;
    const g = this.groups.get(key);
    if (g) g.ticks++;
    else this.groups.set(key, { sensor, first: why, ticks: 1 });
  }

  /** `<sensor>: no evidence in N ticks: <first reason>`, in the order the failures first appeared. */
  lines(): string[] {
    return [...this.groups.values()].map(
      (g) => `${g.sensor}: no evidence in ${g.ticks} tick${g.ticks === 1 ? "" : "s"}: ${g.ticks === 1 ? "" : "first: "}${g.first}`,
    );
  }
}
