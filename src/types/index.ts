export * from "./time";
export * from "./messages";
export * from "./sensors";
export * from "./frames";
export * from "./evidence";
export * from "./bundles";
export * from "./scene";
