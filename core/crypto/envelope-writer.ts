/**
 * One author's outgoing envelopes in one space: assigns the next seq and
 * links each envelope to the previous one by hash. Its state (seq, last
 * hash) is what the sync engine persists so a restart continues the chain.
 */
import type { EnvelopeKind } from "../wire/envelope.js";
import type { Ed25519Backend } from "./ed25519.js";
import { envelopeHash, GENESIS_HASH, sealEnvelope } from "./envelope.js";
import type { SigningKeyPair } from "./identity.js";

export interface WriterState {
  seq: number;
  lastHash: Uint8Array;
}

export class EnvelopeWriter {
  private state: WriterState;

  constructor(
    private readonly spaceId: Uint8Array,
    private readonly author: SigningKeyPair,
    private readonly backend: Ed25519Backend,
    state: WriterState = { seq: 0, lastHash: GENESIS_HASH },
  ) {
    this.state = { ...state };
  }

  get current(): Readonly<WriterState> {
    return this.state;
  }

  async seal(
    kind: EnvelopeKind,
    payload: Uint8Array,
    epoch: number,
    epochKey: Uint8Array,
  ): Promise<Uint8Array> {
    const seq = this.state.seq + 1;
    const bytes = await sealEnvelope(
      { kind, spaceId: this.spaceId, epoch, seq, prevHash: this.state.lastHash, payload },
      epochKey,
      this.author,
      this.backend,
    );
    this.state = { seq, lastHash: envelopeHash(bytes) };
    return bytes;
  }
}
