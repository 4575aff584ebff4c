export * from "./selectBackend";
export * from "./wasmTrainingKernels";
export * from "./tensors";
export * from "./convChain";
export * from "./config";
export { nodeModelFiles } from "./nodeModelFiles";
