import { trainAudio } from "./trainAudio";
import { trainRadar } from "./trainRadar";
import type { Trainer } from "./types";

export type { TrainOptions, TrainResult, Trainer } from "./types";

/** Trainers by modality; `avfusion train --modality <key>` runs one. Camera/LiDAR add theirs here. */
export const TRAINERS: Record<string, Trainer> = {
  radar: trainRadar,
  audio: trainAudio,
};
