export { avfusionConfigSchema, type AvfusionConfig } from "./configSchema";
export { loadConfig, parseConfig } from "./loadConfig";
export { msField, parseConfigValue } from "./zodFields";
export { PLAYBACK_RATE, parsePlaybackRate } from "./playbackRate";
