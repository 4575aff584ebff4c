export { avfusionConfigSchema, type AvfusionConfig } from "./configSchema";
export { ConfigError, loadConfig, parseConfig } from "./loadConfig";
