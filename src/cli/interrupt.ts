/**
 * Exit codes of a command stopped by a signal, as a shell reports a process killed by one (128 + the
 * signal's number): the command stopped early but finished its outputs and printed its summary.
 */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignalName = keyof typeof SIGNAL_EXIT;

/** Ctrl-C / SIGTERM as an AbortSignal, and which of them came. */
export type Interrupts = {
  signal: AbortSignal;
  /** The first signal received, if any. */
  received(): StopSignalName | undefined;
  /** The exit code for the signal received (130 / 143), undefined when none came. */
  exitCode(): number | undefined;
  /** Removes the handlers (a later Ctrl-C kills the process as usual). */
  dispose(): void;
};

/**
 * Catches the first SIGINT and SIGTERM so that a command can stop reading, finish its outputs and
 * print its summary instead of dying with half-written files. Each handler is used once: a second
 * Ctrl-C kills the process at once (Node's default).
 */
export function watchInterrupts(): Interrupts {
  const controller = new AbortController();
  let received: StopSignalName | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as StopSignalName[]).map((name) => {
    const handler = (): void => {
      received ??= name;
      controller.abort();
    };
    process.once(name, handler);
    return { name, handler };
  });
  return {
    signal: controller.signal,
    received: () => received,
    exitCode: () => (received === undefined ? undefined : SIGNAL_EXIT[received]),
    dispose: () => {
      for (const { name, handler } of handlers) process.off(name, handler);
    },
  };
}
