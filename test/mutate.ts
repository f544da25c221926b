/** fast-check arbitraries that damage valid encodings the ways networks and attackers do. */
import fc from "fast-check";
import { expect } from "vitest";
import { DecodeError } from "../core/wire/errors.js";

type Mutation = (bytes: Uint8Array) => Uint8Array;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((n) => (b: Uint8Array) => {
    const out = b.slice();
    if (out.length > 0) out[n % out.length]! ^= 1 << (n % 8);
    return out;
  }),
  fc.nat().map((n) => (b: Uint8Array) => b.slice(0, b.length === 0 ? 0 : n % b.length)),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([n, v]) => (b: Uint8Array) => {
    const out = b.slice();
    if (out.length > 0) out[n % out.length] = v;
    return out;
  }),
  fc
    .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 12 }))
    .map(([n, extra]) => (b: Uint8Array) => {
      const at = b.length === 0 ? 0 : n % (b.length + 1);
      return Uint8Array.from([...b.subarray(0, at), ...extra, ...b.subarray(at)]);
    }),
  fc.tuple(fc.nat(), fc.nat()).map(([n, m]) => (b: Uint8Array) => {
    if (b.length === 0) return b;
    const at = n % b.length;
    return Uint8Array.from([
      ...b.subarray(0, at),
      ...b.subarray(Math.min(b.length, at + 1 + (m % 8))),
    ]);
  }),
  // A length prefix or count blown up to a huge varint.
  fc.nat().map((n) => (b: Uint8Array) => {
    if (b.length === 0) return b;
    const at = n % b.length;
    return Uint8Array.from([
      ...b.subarray(0, at),
      0xff,
      0xff,
      0xff,
      0xff,
      0x0f,
      ...b.subarray(at + 1),
    ]);
  }),
);

/** One to four random mutations applied to one of the given valid encodings. */
export function mutated(valid: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...valid), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([bytes, ms]) => ms.reduce((b, m) => m(b), bytes));
}

/** Arbitrary bytes, or valid encodings damaged. */
export function hostileBytes(valid: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated(valid));
}

/** Runs a decoder on hostile input: it may refuse, but only ever with a DecodeError. */
export function expectOnlyDecodeErrors(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
  }
}
