import fc from "fast-check";
import { msToNs } from "../types";
import { SensorHealthMonitor } from "./SensorHealthMonitor";
import { SENSOR_HEALTH_STATUSES, type SensorHealthStatus, type SensorObservation } from "./types";

type Step = "good" | "low" | "missing" | "stale";
const severity = (s: SensorHealthStatus) => SENSOR_HEALTH_STATUSES.indexOf(s);

function observation(step: Step): SensorObservation {
  switch (step) {
    case "good":
      return { sensorId: "s", status: "included", quality: 0.9 };
    case "low":
      return { sensorId: "s", status: "included", quality: 0.1 };
    case "missing":
      return { sensorId: "s", status: "missing" };
    case "stale":
      return { sensorId: "s", status: "stale", age: msToNs(900) };
  }
}

describe("SensorHealthMonitor hysteresis (property)", () => {
  it("reports a dropout at once, improves at most once per recoverTicks ticks, and is OK after 2·recoverTicks − 1 good ticks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<Step>("good", "good", "low", "missing", "stale"), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 5 }),
        (steps, recoverTicks) => {
          const m = new SensorHealthMonitor({ sensors: [{ id: "s", kind: "lidar" }], staleAgeMs: 150, recoverTicks, recoverMs: 0 });
          const statuses = steps.map((step, i) => m.update(msToNs(i * 100), [observation(step)])[0]!.status);
          let lastImprovement = -Infinity;
          let goodRun = 0;
          for (let i = 0; i < steps.length; i++) {
            const s = statuses[i]!;
            if (steps[i] === "missing" && s !== "MISSING") return false;
            if (steps[i] === "low" && severity(s) < severity("DEGRADED")) return false;
            if (i > 0 && severity(s) < severity(statuses[i - 1]!)) {
              if (i - lastImprovement < recoverTicks) return false;
              lastImprovement = i;
            }
            goodRun = steps[i] === "good" ? goodRun + 1 : 0;
            // A good run may begin inside a recovery streak whose worst status (adopted when the
            // streak completes) is not OK; a second streak of recoverTicks then reaches OK.
            if (goodRun >= 2 * recoverTicks - 1 && s !== "OK") return false;
          }
          return true;
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });
});
