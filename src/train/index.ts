import { trainAudio } from "./audio/trainAudio";
import { trainRadar } from "./radar/trainRadar";
import type { Trainer } from "./types";
import { cameraTrainer } from "./camera/cameraTrainer";
import { lidarTrainer } from "./lidar/lidarTrainer";

export type { TrainOptions, TrainResult, Trainer } from "./types";

/** Trainers by modality; `avfusion train --modality <key>` runs one. Camera/LiDAR add theirs here. */
export const TRAINERS: Record<string, Trainer> = {
  radar: trainRadar,
  audio: trainAudio,
  camera: cameraTrainer,
  lidar: lidarTrainer,
};
