export * from "./selectBackend";
export * from "./wasmTrainingKernels";
export { setIm2colChunkFloats } from "./wasmConv2DGradients";
export * from "./tensors";
export * from "./convChain";
export * from "./config";
export { nodeModelFiles } from "./nodeModelFiles";
