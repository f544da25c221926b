import { useClient } from "./hooks.js";

/** Loud and everywhere: a verified buddy's name now comes with another key. */
export function KeyChangeBanner({ onShow }: { onShow: () => void }) {
  const client = useClient();
  const changed = client.buddies().filter((b) => b.trust === "keyChanged");
  if (changed.length === 0) return null;
  return (
    <div className="banner danger" role="alert">
      <strong>Key changed:</strong> {changed.map((b) => b.name).join(", ")}{" "}
      {changed.length === 1 ? "shows up" : "show up"} with a key you did not verify.{" "}
      <button type="button" className="link" onClick={onShow}>
        Review
      </button>
    </div>
  );
}
