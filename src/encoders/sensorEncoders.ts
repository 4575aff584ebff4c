import type { CalibrationUpdate, SensorFrame, SensorKind } from "../types";
import { load as loadCamera } from "./camera/encoder";
import { IDENTITY_EXTRINSICS, extrinsicsFromTransform, type Extrinsics } from "./common/extrinsics";
import { modelsDirOf, type ModelFiles } from "../runtime/modelFiles";
import type { Encoder } from "./common/types";
import { load as loadLidar } from "./lidar/encoder";
import { loadAudioEncoder } from "./audio/encoder";
import { loadRadarEncoder } from "./radar/encoder";

/** The latest calibration the pipeline has seen, by frame id. */
export type CalibrationLookup = {
  transforms: ReadonlyMap<string, Extract<CalibrationUpdate, { kind: "transform" }>>;
  cameras: ReadonlyMap<string, Extract<CalibrationUpdate, { kind: "cameraCalibration" }>>;
};

export type SensorEncodersOptions = {
  files: ModelFiles;
  /** Directory holding `<kind>/model.json`, ... inside `files`; default `files.modelsDir`, else `models`. */
  modelsDir?: string;
  /** Modalities to run; the others give no evidence. Default all four. */
  kinds?: readonly SensorKind[];
  /** Told once per sensor when its mounting is not in the recording and a default is used. */
  onWarning?: (line: string) => void;
};

type AnyEncoder = Encoder<SensorFrame>;

/** The vehicle frame of ROS REP 105, where the ego frame's mountings hang from. */
const VEHICLE_FRAME = "base_link";

/**
 * One encoder per sensor, made on the sensor's first frame: by then the recording's /tf and
 * camera calibration (written before the data) are known, so each encoder gets its own mounting
 * and intrinsics. A sensor whose encoder cannot be made reports the reason on every frame.
 */
export function createSensorEncoders(calibration: CalibrationLookup, options: SensorEncodersOptions) {
  const dir = modelsDirOf(options.files, options.modelsDir);
  const kinds = new Set(options.kinds ?? ["camera", "lidar", "radar", "audio"]);
  const bySensor = new Map<string, Promise<AnyEncoder>>();

  const mounting = (frame: SensorFrame): Extrinsics | undefined => {
    const t = calibration.transforms.get(frame.frameId);
    if (t) return extrinsicsFromTransform(t);
    // Data already in the vehicle frame (e.g. ARS548 objects before the radar reported its
    // mounting) needs no transform: the vehicle frame is the root of the transform tree.
    if (frame.frameId === VEHICLE_FRAME || [...calibration.transforms.values()].some((x) => x.parentFrameId === frame.frameId))
      return IDENTITY_EXTRINSICS;
    options.onWarning?.(`${frame.sensorId}: no transform for frame "${frame.frameId}" in the recording; using the default mounting`);
    return undefined;
  };

  const make = async (frame: SensorFrame): Promise<AnyEncoder> => {
    if (!kinds.has(frame.kind)) throw new Error(`${frame.kind} encoder disabled`);
    // Microphones need no mounting: bearings are relative to the array, which the rig aligns with the ego axes.
    const extrinsics = frame.kind === "audio" ? undefined : mounting(frame);
    switch (frame.kind) {
      case "camera": {
        const cal = calibration.cameras.get(frame.frameId);
        const enc = await loadCamera({
          files: options.files,
          dir: `${dir}/camera`,
          ...(extrinsics ? { extrinsics } : {}),
          ...(cal ? { calibration: cal } : {}),
        });
        return enc as unknown as AnyEncoder;
      }
      case "lidar":
        return (await loadLidar({
          files: options.files,
          dir: `${dir}/lidar`,
          ...(extrinsics ? { extrinsics } : {}),
        })) as unknown as AnyEncoder;
      case "radar":
        return (await loadRadarEncoder({
          files: options.files,
          modelDir: `${dir}/radar`,
          extrinsics: extrinsics ?? IDENTITY_EXTRINSICS,
        })) as unknown as AnyEncoder;
      case "audio":
        return (await loadAudioEncoder({ files: options.files, modelDir: `${dir}/audio` })) as unknown as AnyEncoder;
    }
  };

  return {
    /** The encoder of this frame's sensor (made on first use). Rejects with a one-line reason. */
    forFrame(frame: SensorFrame): Promise<AnyEncoder> {
      // One encoder per sensor and coordinate frame: a sensor may send data in two frames (the
      // ARS548 sends detections in its own frame and objects in the vehicle frame), each with its mounting.
      const key = `${frame.sensorId}\u0000${frame.frameId}`;
      let p = bySensor.get(key);
      if (!p) {
        p = make(frame);
        p.catch(() => undefined); // reported to every caller; not an unhandled rejection
        bySensor.set(key, p);
      }
      return p;
    },
    /** Frees every encoder's tensors. */
    async dispose(): Promise<void> {
      for (const p of bySensor.values()) {
        try {
          (await p).dispose();
        } catch {
          // an encoder that never loaded holds nothing
        }
      }
      bySensor.clear();
    },
  };
}

export type SensorEncoders = ReturnType<typeof createSensorEncoders>;
