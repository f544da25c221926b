/** A refusal from the relay, or a failure talking to it. */
export class RelayError extends Error {
  override readonly name = "RelayError";
  constructor(
    readonly code: string,
    message: string,
    readonly ref?: Uint8Array,
  ) {
    super(message);
  }
}
