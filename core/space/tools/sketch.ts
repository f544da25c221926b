/**
 * The space's shared sketch over its Y.Doc: a whiteboard of strokes.
 *
 *   array "sketch/strokes":  Stroke (plain record), in drawing order
 *
 * One stroke is one envelope (pen down to pen up). Points are integers on a
 * 0..10,000 square grid in both directions, so every screen size shows the
 * same drawing. A stroke of the wrong shape (out of range, too long, an odd
 * colour) is skipped, never drawn; so is one its named author's device did
 * not sign. Taking strokes away (undo, clear) deletes array items, which
 * carry no signature: any member can wipe the board, nobody can draw as another.
 */
import type * as Y from "yjs";
import { readRecord, SIGNED_SHAPE } from "./records.js";
import type { RecordTrust, Signed } from "./signed-records.js";

export const GRID = 10_000;
/** Most points in one stroke (x, y pairs): longer drawing is cut into further strokes. */
export const MAX_POINTS = 1_000;
export const COLORS = ["#1f2d23", "#c0392b", "#2b7340", "#1d5fd1", "#a36a00", "#7b3fa0"] as const;
export const WIDTHS = [4, 10, 24] as const;

const STROKES = "sketch/strokes";

export interface Stroke extends Signed {
  id: string;
  by: string;
  color: string;
  width: number;
  /** x0, y0, x1, y1, ... on the grid. */
  points: number[];
}

const SHAPE = {
  id: "id",
  by: "user",
  color: "string",
  width: "number",
  ...SIGNED_SHAPE,
} as const;

function strokeOf(value: unknown): Stroke | undefined {
  const s = readRecord<Stroke>(value, SHAPE);
  if (!s || !(COLORS as readonly string[]).includes(s.color)) return undefined;
  if (!Number.isInteger(s.width) || s.width < 1 || s.width > 64) return undefined;
  const { points } = s;
  if (!Array.isArray(points) || points.length < 2 || points.length > 2 * MAX_POINTS)
    return undefined;
  if (points.length % 2 !== 0) return undefined;
  for (const p of points) {
    if (!Number.isInteger(p) || p < 0 || p > GRID) return undefined;
  }
  return s;
}

/** A well-formed stroke its author signed, or undefined. */
function signedStroke(value: unknown, trust: RecordTrust): Stroke | undefined {
  const s = strokeOf(value);
  return s && trust.holds("stroke", "", s, s.by) ? s : undefined;
}

/** Every well-formed stroke its author signed, in the order drawn. */
export function strokes(doc: Y.Doc, trust: RecordTrust): Stroke[] {
  const out: Stroke[] = [];
  for (const value of doc.getArray<unknown>(STROKES)) {
    const s = signedStroke(value, trust);
    if (s) out.push(s);
  }
  return out;
}

/** A stroke as it will be signed, its points clamped to the grid; undefined when too short. */
export function draftStroke(stroke: Stroke): Stroke | undefined {
  const points = stroke.points
    .slice(0, 2 * MAX_POINTS)
    .map((p) => Math.max(0, Math.min(GRID, Math.round(p))));
  if (points.length % 2 === 1) points.pop();
  return points.length < 2 ? undefined : { ...stroke, points };
}

/** Adds a drafted and signed stroke (call inside `Space.edit`). */
export function addStroke(doc: Y.Doc, stroke: Stroke): void {
  doc.getArray<unknown>(STROKES).push([{ ...stroke }]);
}

/** Takes back `user`'s latest signed stroke; false when they have none. */
export function undoStroke(doc: Y.Doc, user: string, trust: RecordTrust): boolean {
  const array = doc.getArray<unknown>(STROKES);
  for (let i = array.length - 1; i >= 0; i--) {
    if (signedStroke(array.get(i), trust)?.by === user) {
      array.delete(i, 1);
      return true;
    }
  }
  return false;
}

/** Wipes the sketch for everyone (strokes drawn concurrently elsewhere stay). */
export function clearSketch(doc: Y.Doc): void {
  const array = doc.getArray<unknown>(STROKES);
  if (array.length > 0) array.delete(0, array.length);
}
