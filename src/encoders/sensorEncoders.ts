import type { CalibrationUpdate, SensorFrame, SensorKind, StampedHistory } from "../types";
import { load as loadCamera } from "./camera/encoder";
import { IDENTITY_EXTRINSICS, extrinsicsFromTransform, type Extrinsics } from "./common/extrinsics";
import { modelsDirOf, type ModelFiles } from "../runtime/modelFiles";
import type { Encoder } from "./common/types";
import { load as loadLidar } from "./lidar/encoder";
import { loadAudioEncoder } from "./audio/encoder";
import { loadRadarEncoder } from "./radar/encoder";

type Transform = Extract<CalibrationUpdate, { kind: "transform" }>;
type Camera = Extract<CalibrationUpdate, { kind: "cameraCalibration" }>;

/**
 * The calibration the pipeline has seen, by frame id: the latest read, and (`at`, when the
 * pipeline keeps it) the one in force at a frame's stamp, which wins.
 */
export type CalibrationLookup = {
  transforms: ReadonlyMap<string, Transform>;
  cameras: ReadonlyMap<string, Camera>;
  at?: { transforms: Pick<StampedHistory<Transform>, "at">; cameras: Pick<StampedHistory<Camera>, "at"> };
};

export type SensorEncodersOptions = {
  files: ModelFiles;
  /** Directory holding `<kind>/model.json`, ... inside `files`; default `files.modelsDir`, else `models`. */
  modelsDir?: string;
  /** Modalities to run; the others give no evidence. Default all four. */
  kinds?: readonly SensorKind[];
  /**
   * Per kind, a model folder instead of `<modelsDir>/<kind>`; for `camera`, the folder of the
   * real-camera detector's card instead of `<modelsDir>/camera-coco` (the network stays `camera`).
   */
  modelDirs?: Partial<Record<SensorKind, string>>;
  /** Told once per sensor when its mounting is not in the recording and a default is used. */
  onWarning?: (line: string) => void;
};

type AnyEncoder = Encoder<SensorFrame>;

type Updatable = AnyEncoder & { setExtrinsics?: (x: Extrinsics) => void; setCalibration?: (c: Camera) => void };

/**
 * What each encoder was made with or last given: a later /tf or calibration message (a
 * recalibration, a recording of unrelated frames such as KITTI's) is applied before the next
 * frame it is in force for. A bad calibration is that frame's one-line failure.
 */
function calibrationChanges() {
  const applied = new Map<string, { transform: Transform | undefined; camera: Camera | undefined }>();
  return {
    apply(key: string, enc: AnyEncoder, transform: Transform | undefined, camera: Camera | undefined): AnyEncoder {
      const last = applied.get(key);
      if (!last) {
        applied.set(key, { transform, camera });
        return enc;
      }
      const e = enc as Updatable;
      if (transform && transform !== last.transform && e.setExtrinsics) e.setExtrinsics(extrinsicsFromTransform(transform));
      last.transform = transform;
      if (camera && camera !== last.camera && e.setCalibration) {
        last.camera = camera;
        e.setCalibration(camera);
      }
      return enc;
    },
  };
}

/** The vehicle frame of ROS REP 105, where the ego frame's mountings hang from. */
const VEHICLE_FRAME = "base_link";

/**
 * One encoder per sensor, made on the sensor's first frame: by then the recording's /tf and
 * camera calibration (written before the data) are known, so each encoder gets its own mounting
 * and intrinsics. A sensor whose encoder cannot be made reports the reason on every frame.
 */
export function createSensorEncoders(calibration: CalibrationLookup, options: SensorEncodersOptions) {
  const dir = modelsDirOf(options.files, options.modelsDir);
  const chosen = options.modelDirs ?? {};
  const kinds = new Set(options.kinds ?? ["camera", "lidar", "radar", "audio"]);
  const bySensor = new Map<string, Promise<AnyEncoder>>();

  const transformOf = (frame: SensorFrame): Transform | undefined =>
    calibration.at?.transforms.at(frame.frameId, frame.stamp) ?? calibration.transforms.get(frame.frameId);
  const cameraOf = (frame: SensorFrame): Camera | undefined =>
    calibration.at?.cameras.at(frame.frameId, frame.stamp) ?? calibration.cameras.get(frame.frameId);

  const mounting = (frame: SensorFrame): Extrinsics | undefined => {
    const t = transformOf(frame);
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
        const cal = cameraOf(frame);
        const enc = await loadCamera({
          files: options.files,
          dir: `${dir}/camera`,
          ...(chosen.camera !== undefined ? { detectorDir: chosen.camera } : {}),
          ...(extrinsics ? { extrinsics } : {}),
          ...(cal ? { calibration: cal } : {}),
        });
        return enc as unknown as AnyEncoder;
      }
      case "lidar":
        return (await loadLidar({
          files: options.files,
          dir: chosen.lidar ?? `${dir}/lidar`,
          ...(extrinsics ? { extrinsics } : {}),
        })) as unknown as AnyEncoder;
      case "radar":
        return (await loadRadarEncoder({
          files: options.files,
          modelDir: chosen.radar ?? `${dir}/radar`,
          extrinsics: extrinsics ?? IDENTITY_EXTRINSICS,
        })) as unknown as AnyEncoder;
      case "audio":
        return (await loadAudioEncoder({ files: options.files, modelDir: chosen.audio ?? `${dir}/audio` })) as unknown as AnyEncoder;
    }
  };

  const changes = calibrationChanges();
  return {
    /** The encoder of this frame's sensor (made on first use), with the latest mounting and calibration. Rejects with a one-line reason. */
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
      return p.then((enc) => changes.apply(key, enc, transformOf(frame), frame.kind === "camera" ? cameraOf(frame) : undefined));
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
