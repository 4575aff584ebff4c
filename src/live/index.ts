/** Live pipeline glue: live inputs (Foxglove WebSocket, UDP) → the whole scene pipeline → outputs. */
export * from "./clockTicks";
export * from "./decorateTick";
export * from "./frameMessages";
export * from "./liveEpochs";
export * from "./liveInputs";
export * from "./udpInput";
export * from "./warmupPlan";
export * from "./liveSession";
export * from "./liveOutputs";
