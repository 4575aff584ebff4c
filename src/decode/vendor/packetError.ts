import { BadInputError, isBadInput } from "../../types/errors";

/**
 * A vendor packet (or the message that carries it) is malformed: wrong size, unknown id, a count
 * beyond what the packet can hold. Callers count and skip these (`isPacketError`); anything else
 * thrown by a decoder is a bug. The message is one line naming what was decoded, where (the byte
 * offset, in `what`), and what was expected.
 */
export function packetError(where: string, what: string, expected?: string): BadInputError {
  return new BadInputError({ where, what, expected, code: "packet" });
}

/** True for the errors of `packetError`: a malformed packet to count and skip. */
export function isPacketError(err: unknown): err is BadInputError {
  return isBadInput(err) && err.code === "packet";
}
