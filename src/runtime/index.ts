export * from "./selectBackend";
export * from "./wasmTrainingKernels";
export * from "./tensors";
export * from "./config";
export { nodeModelFiles } from "./nodeModelFiles";
