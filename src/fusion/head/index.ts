/** The learned late-fusion head, its features, the naive baseline and head selection. */
export {
  candidateFeatures,
  HEAD_CLASSES,
  HEAD_MODALITIES,
  SLOT_FEATURES,
  SLOT_SIZE,
  TRACK_FEATURES,
  TRACK_SIZE,
  type CandidateFeatures,
  type HeadModality,
} from "./features";
export {
  buildFusionModel,
  createLearnedFusionHead,
  loadFusionHead,
  FUSION_MODEL_VERSION,
  OUT_CLASSES,
  OUTPUT_SIZE,
  type FusionHeadMetadata,
  type HeadPrediction,
  type LearnedFusionHead,
  type LearnedHeadOptions,
} from "./model";
export { createNaiveFusionHead, naiveRefinement } from "./naiveHead";
export { FUSION_HEAD_CHOICES, parseFusionHeadChoice, selectFusionHead, type FusionHeadChoice, type SelectedHead } from "./selectHead";
