/**
 * A plain textarea over a shared Y.Text: what one input event changed, to
 * apply to the shared text. (Where the caret goes when someone else's change
 * arrives is Yjs's own relative positions, in NoteEditor.)
 */

export interface TextChange {
  index: number;
  remove: number;
  insert: string;
}

/** The one replaced range that turns `before` into `after`: common head and tail kept. */
export function diffText(before: string, after: string): TextChange {
  let head = 0;
  const shortest = Math.min(before.length, after.length);
  while (head < shortest && before.charCodeAt(head) === after.charCodeAt(head)) head++;
  let tail = 0;
  while (
    tail < shortest - head &&
    before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)
  ) {
    tail++;
  }
  // Never split a surrogate pair: an emoji is replaced whole or kept whole.
  if (head > 0 && isHighSurrogate(before.charCodeAt(head - 1))) head--;
  if (tail > 0 && isLowSurrogate(before.charCodeAt(before.length - tail))) tail--;
  return {
    index: head,
    remove: before.length - head - tail,
    insert: after.slice(head, after.length - tail),
  };
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
