import { fromHex } from "../../../core/crypto/bytes.js";
import { safetyNumberWith } from "../../../core/membership/buddies.js";
import { groups } from "./format.js";

/** The safety number between me and `them` (user keys, hex), in groups of five as people read it out. */
export function SafetyNumber(props: { me: string; them: string; label: string; big?: boolean }) {
  const digits = groups(safetyNumberWith(fromHex(props.me), fromHex(props.them)));
  return (
    <fieldset className={props.big ? "safety big" : "safety"} aria-label={props.label}>
      {digits.map((g, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the groups are fixed positions of one number
        <span key={i}>{g}</span>
      ))}
    </fieldset>
  );
}
